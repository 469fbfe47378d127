//! Object ids and kinds.
//!
//! A blob's id is the plain BLAKE3 hash of its bytes, so `b3sum FILE` names the
//! blob of FILE. Trees and configs hash with BLAKE3's key-derivation mode under
//! a context string of their own, so no tree or config can ever share an id
//! with a blob (or with each other), whatever its bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kinds of object the store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Blob,
    Tree,
    Config,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Blob => "blob",
            Kind::Tree => "tree",
            Kind::Config => "config",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        match name {
            "blob" => Some(Kind::Blob),
            "tree" => Some(Kind::Tree),
            "config" => Some(Kind::Config),
            _ => None,
        }
    }

    /// A hasher that gives ids of this kind.
    pub fn hasher(self) -> blake3::Hasher {
        match self {
            Kind::Blob => blake3::Hasher::new(),
            Kind::Tree => blake3::Hasher::new_derive_key("rel 2026-11 tree object v1"),
            Kind::Config => blake3::Hasher::new_derive_key("rel 2026-11 config object v1"),
        }
    }

    /// The id of `bytes` as an object of this kind.
    pub fn id_of(self, bytes: &[u8]) -> Id {
        let mut hasher = self.hasher();
        hasher.update(bytes);
        Id::from(hasher.finalize())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A 256-bit object id, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub [u8; 32]);

impl Id {
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit((b >> 4) as u32, 16).expect("nibble is a hex digit"));
            s.push(char::from_digit((b & 15) as u32, 16).expect("nibble is a hex digit"));
        }
        s
    }

    /// The first seven hex digits, as Heroku's `Deploy de63889`.
    pub fn short(&self) -> String {
        self.to_hex()[..7].to_string()
    }
}

impl From<blake3::Hash> for Id {
    fn from(h: blake3::Hash) -> Id {
        Id(*h.as_bytes())
    }
}

/// Whether `s` is lowercase or uppercase hex digits only.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not an object id (64 hex digits)")]
pub struct ParseIdError(pub String);

impl FromStr for Id {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Id, ParseIdError> {
        if s.len() != 64 || !is_hex(s) {
            return Err(ParseIdError(s.to_string()));
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16).expect("checked hex");
            let lo = (chunk[1] as char).to_digit(16).expect("checked hex");
            out[i] = (hi * 16 + lo) as u8;
        }
        Ok(Id(out))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.to_hex())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let id = Kind::Blob.id_of(b"hello");
        assert_eq!(id.to_hex().parse::<Id>().unwrap(), id);
        assert_eq!(id.to_hex(), blake3::hash(b"hello").to_hex().as_str());
    }

    #[test]
    fn kinds_are_domain_separated() {
        let b = Kind::Blob.id_of(b"x");
        let t = Kind::Tree.id_of(b"x");
        let c = Kind::Config.id_of(b"x");
        assert!(b != t && t != c && b != c);
    }
}
