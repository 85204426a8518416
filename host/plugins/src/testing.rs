//! Helpers for tests and benchmarks: distinct builds of one component (the same code with
//! a custom section naming a build tag, so each has its own source hash).

/// `component` with a custom section `elder-build` holding `tag` appended: a valid
/// component that behaves the same but hashes differently.
pub fn with_build_tag(component: &[u8], tag: &str) -> Vec<u8> {
    let name = b"elder-build";
    let mut content = Vec::new();
    leb128(&mut content, name.len());
    content.extend_from_slice(name);
    content.extend_from_slice(tag.as_bytes());
    let mut out = component.to_vec();
    out.push(0);
    leb128(&mut out, content.len());
    out.extend_from_slice(&content);
    out
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_encodes_multi_byte_lengths() {
        let mut out = Vec::new();
        leb128(&mut out, 300);
        assert_eq!(out, vec![0xac, 0x02]);
        let tagged = with_build_tag(b"\0asm", "b1");
        assert_eq!(&tagged[..4], b"\0asm");
        assert_eq!(tagged[4], 0);
        assert!(tagged.ends_with(b"elder-buildb1"));
    }
}
