//! The wire frame decoder on arbitrary bytes: `decode` of a payload (a message it accepts
//! must encode and decode back to itself), and `read` of the bytes as a stream of frames
//! until the first error, as a node reads a peer.
#![no_main]

use hapair::wire::{self, Message, WireError};

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = wire::decode(data) {
        let frame = wire::encode(&m);
        let back: Message = wire::decode(&frame[4..]).expect("an accepted message re-decodes");
        assert_eq!(back, m);
    }
    RUNTIME.with(|rt| {
        rt.block_on(async {
            let mut stream = data;
            loop {
                match wire::read(&mut stream).await {
                    Ok(_) => {}
                    Err(WireError::Oversized(len)) => {
                        assert!(len > wire::MAX_FRAME);
                        break;
                    }
                    Err(WireError::Closed(_) | WireError::Malformed(_)) => break,
                }
            }
        });
    });
});
