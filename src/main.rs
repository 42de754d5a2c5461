//! The `ferrite` binary: `ferrite [/path/to/redis.conf] [--directive value ...]`,
//! the command line of `redis-server`.

/// jemalloc (as Redis ships), counted for `used_memory` and `maxmemory`.
#[global_allocator]
static GLOBAL: ferrite::util::alloc::CountingAlloc<tikv_jemallocator::Jemalloc> =
    ferrite::util::alloc::CountingAlloc(tikv_jemallocator::Jemalloc);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(ferrite::main_loop::run(args));
}
