//! `--shard I/N`: which seeds one of N machines runs. Seeds are dealt by their offset in the
//! range (`--start` + k goes to shard k mod N + 1), never by a scenario's place in a list, so
//! that N shards cover the range exactly once whatever `--filter` keeps.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `of` (both from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1 to `of`.
    pub index: u64,
    /// How many shards.
    pub of: u64,
}

impl Shard {
    /// Whether the seed at `offset` in the range (0 for `--start`) is this shard's.
    pub fn takes(self, offset: u64) -> bool {
        offset.checked_rem(self.of) == Some(self.index.saturating_sub(1))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{}` is not a shard: write I/N with 1 <= I <= N <= 10000 (e.g. 2/4)",
                crate::limits::quoted(text)
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let of: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || of == 0 || index > of || of > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_range_exactly_once() {
        let shards: Vec<Shard> = (1..=4).map(|index| Shard { index, of: 4 }).collect();
        for offset in 0..1000 {
            assert_eq!(shards.iter().filter(|s| s.takes(offset)).count(), 1);
        }
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, of: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "", "1/20000"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
