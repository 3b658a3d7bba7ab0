//! The two tokens, kept and compared as SHA-256 digests: every comparison
//! takes the same time whatever the presented token, so timing tells
//! nothing about the tokens, not even their length (comparing the tokens
//! themselves stops at once when the lengths differ).

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::redis_exec::Access;

/// The tokens a request may present.
pub(crate) struct Tokens {
    full: [u8; 32],
    read_only: Option<[u8; 32]>,
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl Tokens {
    pub(crate) fn new(full: &str, read_only: Option<&str>) -> Tokens {
        Tokens { full: digest(full.as_bytes()), read_only: read_only.map(|token| digest(token.as_bytes())) }
    }

    /// The access `presented` grants, if any. Both digests are compared,
    /// each over its 32 bytes, whatever the outcome.
    pub(crate) fn access(&self, presented: &[u8]) -> Option<Access> {
        let presented = digest(presented);
        let full = presented.ct_eq(&self.full);
        let read_only = match &self.read_only {
            Some(read_only) => presented.ct_eq(read_only),
            None => Choice::from(0),
        };
        match (bool::from(full), bool::from(read_only)) {
            (true, _) => Some(Access::Full),
            (false, true) => Some(Access::ReadOnly),
            (false, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_and_compared_as_fixed_size_digests() {
        let tokens = Tokens::new("full-token-0123456789", Some("read-only-token-0123"));
        assert_eq!(tokens.access(b"full-token-0123456789"), Some(Access::Full));
        assert_eq!(tokens.access(b"read-only-token-0123"), Some(Access::ReadOnly));
        for wrong in [&b""[..], b"full-token-012345678", b"full-token-01234567890", b"read-only-token-0123 ", b"x"] {
            assert_eq!(tokens.access(wrong), None, "{:?}", String::from_utf8_lossy(wrong));
        }
        // Nothing of the tokens' own is kept: only their digests, of one size.
        assert_eq!(std::mem::size_of_val(&tokens.full), 32);
        assert_eq!(Tokens::new("full-token-0123456789", None).access(b"read-only-token-0123"), None);
    }
}
