//! The `ferrite` binary: `ferrite [/path/to/redis.conf] [--directive value ...]`,
//! the command line of `redis-server`.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(ferrite::main_loop::run(args));
}
