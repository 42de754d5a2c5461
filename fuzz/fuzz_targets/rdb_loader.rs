//! The RDB loader must reject corrupt files with an error, never a panic,
//! a hang or an allocation sized by an unchecked length field.
#![no_main]

use ferrite::persist::rdb::{self, RdbError, RdbObject, RdbVisitor};
use libfuzzer_sys::fuzz_target;

struct Count(usize);

impl RdbVisitor for Count {
    fn object(
        &mut self,
        _db: u64,
        _key: Vec<u8>,
        _value: RdbObject,
        _expire_ms: Option<i64>,
        _lru_idle: Option<u64>,
        _lfu_freq: Option<u8>,
    ) -> Result<(), RdbError> {
        self.0 += 1;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = rdb::load(data, &mut Count(0));
    let _ = rdb::decode_dump_payload(data);
});
