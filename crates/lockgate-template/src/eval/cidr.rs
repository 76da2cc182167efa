//! `Fn::Cidr`: carving an address block into subnets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Splits `block` (e.g. `10.0.0.0/16`) into `count` subnets of `cidr_bits` host bits each.
pub fn cidr(block: &str, count: u64, cidr_bits: u32) -> Result<Vec<String>, String> {
    let (addr, prefix) = block
        .split_once('/')
        .ok_or_else(|| format!("`{block}` is not a CIDR block (expected e.g. 10.0.0.0/16)"))?;
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("`{block}` has an invalid prefix length"))?;
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IP address"))?;
    if count == 0 || count > 256 {
        return Err(format!(
            "the subnet count must be between 1 and 256, got {count}"
        ));
    }
    let width: u32 = if ip.is_ipv4() { 32 } else { 128 };
    if prefix > width {
        return Err(format!("`{block}` has a prefix longer than {width} bits"));
    }
    if cidr_bits == 0 || cidr_bits > width - prefix {
        return Err(format!(
            "{cidr_bits} subnet bits do not fit in `{block}` (expected 1 to {})",
            width - prefix
        ));
    }
    let new_prefix = width - cidr_bits;
    let available = 1u128.checked_shl(new_prefix - prefix).unwrap_or(u128::MAX);
    if u128::from(count) > available {
        return Err(format!(
            "`{block}` holds only {available} subnets of /{new_prefix}, not {count}"
        ));
    }
    let base: u128 = match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    };
    let mask = if prefix == 0 {
        0
    } else {
        (!0u128) << (width - prefix)
    };
    let mask = if width == 32 {
        mask & 0xffff_ffff
    } else {
        mask
    };
    let base = base & mask;
    let step = 1u128 << cidr_bits;
    Ok((0..u128::from(count))
        .map(|i| {
            let a = base + i * step;
            let text = if width == 32 {
                Ipv4Addr::from(a as u32).to_string()
            } else {
                Ipv6Addr::from(a).to_string()
            };
            format!("{text}/{new_prefix}")
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4() {
        assert_eq!(
            cidr("192.168.0.0/24", 6, 5).unwrap(),
            [
                "192.168.0.0/27",
                "192.168.0.32/27",
                "192.168.0.64/27",
                "192.168.0.96/27",
                "192.168.0.128/27",
                "192.168.0.160/27"
            ]
        );
        assert_eq!(
            cidr("10.0.1.7/16", 2, 8).unwrap(),
            ["10.0.0.0/24", "10.0.1.0/24"]
        );
    }

    #[test]
    fn ipv6() {
        assert_eq!(
            cidr("2001:db8::/56", 2, 64).unwrap(),
            ["2001:db8::/64", "2001:db8:0:1::/64"]
        );
    }

    #[test]
    fn errors() {
        assert!(
            cidr("10.0.0.0", 1, 8)
                .unwrap_err()
                .contains("not a CIDR block")
        );
        assert!(cidr("10.0.0.0/x", 1, 8).unwrap_err().contains("prefix"));
        assert!(cidr("10.0.0/16", 1, 8).unwrap_err().contains("not an IP"));
        assert!(
            cidr("10.0.0.0/16", 0, 8)
                .unwrap_err()
                .contains("between 1 and 256")
        );
        assert!(
            cidr("10.0.0.0/33", 1, 8)
                .unwrap_err()
                .contains("longer than")
        );
        assert!(
            cidr("10.0.0.0/24", 1, 9)
                .unwrap_err()
                .contains("do not fit")
        );
        assert!(
            cidr("10.0.0.0/24", 3, 7)
                .unwrap_err()
                .contains("holds only 2")
        );
    }
}
