//! Which network addresses credentialed egress may reach. Loopback, link-local, private,
//! unique-local, shared (CGNAT), multicast, broadcast, documentation and unspecified
//! addresses (IPv4, IPv6 and IPv4-mapped/compatible IPv6) are refused unless the operator
//! opts in (`ELDER_EGRESS_ALLOW_PRIVATE`). The check runs on the addresses a name RESOLVES
//! to, inside the transport's DNS resolver ([`GuardedResolver`]), so a DNS answer that
//! changes between a check and the connect cannot slip past; literal IP hosts are checked
//! by the policy before anything is sent ([`check_literal_host`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::EgressError;

/// What the operator sets to allow private addresses.
pub const OPT_IN_SETTING: &str = "ELDER_EGRESS_ALLOW_PRIVATE";

/// The class of an address egress refuses by default, or `None` for a public address.
pub fn restricted_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_class(v4),
            None => v6_class(v6),
        },
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_private() {
        Some("private")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast()
        || a >= 240
        || ip.is_documentation()
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
    {
        Some("reserved")
    } else {
        None
    }
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfec0 {
        Some("site-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if let Some(v4) = ipv4_compatible(ip) {
        v4_class(v4)
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("reserved")
    } else {
        None
    }
}

/// `::a.b.c.d` (deprecated IPv4-compatible form), which some stacks still route as IPv4.
fn ipv4_compatible(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    (s[..6].iter().all(|&x| x == 0)).then(|| {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    })
}

/// The refusal for `host` resolving to `ip` of `class`.
pub fn refusal(host: &str, ip: IpAddr, class: &str) -> EgressError {
    EgressError::HostNotAllowed(format!(
        "{host} resolves to a {class} address ({ip}); set {OPT_IN_SETTING}=true for a \
         self-hosted platform on a private network"
    ))
}

/// Refuses a URL host that is a literal restricted IP (names are checked at resolution).
pub fn check_literal_host(url: &url::Url, allow_private: bool) -> Result<(), EgressError> {
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match restricted_class(ip) {
        Some(class) => Err(refusal(url.host_str().unwrap_or_default(), ip, class)),
        None => Ok(()),
    }
}

/// The error a refusing resolver returns; the transport maps it to `host-not-allowed`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct RestrictedAddress(pub String);

/// A DNS resolver that refuses names resolving to any restricted address (all of a
/// name's addresses must be public, or the request is refused).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    allow_private: bool,
}

impl GuardedResolver {
    /// A resolver that also admits internal addresses when `allow_private` (the operator's
    /// switch) is set.
    pub fn new(allow_private: bool) -> Self {
        GuardedResolver { allow_private }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private {
                screen(&host, &addrs)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok::<Addrs, Box<dyn std::error::Error + Send + Sync>>(addrs)
        })
    }
}

fn screen(host: &str, addrs: &[SocketAddr]) -> Result<(), RestrictedAddress> {
    for addr in addrs {
        if let Some(class) = restricted_class(addr.ip()) {
            return Err(RestrictedAddress(
                refusal(host, addr.ip(), class).to_string(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<&'static str> {
        restricted_class(s.parse().unwrap())
    }

    #[test]
    fn internal_ipv4_addresses_are_restricted() {
        assert_eq!(class("127.0.0.1"), Some("loopback"));
        assert_eq!(class("127.8.9.10"), Some("loopback"));
        assert_eq!(class("169.254.169.254"), Some("link-local"));
        assert_eq!(class("10.1.2.3"), Some("private"));
        assert_eq!(class("172.16.0.1"), Some("private"));
        assert_eq!(class("192.168.1.1"), Some("private"));
        assert_eq!(class("100.64.0.1"), Some("shared (carrier-grade NAT)"));
        assert_eq!(class("224.0.0.1"), Some("multicast"));
        assert_eq!(class("0.0.0.0"), Some("unspecified"));
        assert_eq!(class("255.255.255.255"), Some("reserved"));
    }

    #[test]
    fn internal_ipv6_addresses_are_restricted() {
        assert_eq!(class("::1"), Some("loopback"));
        assert_eq!(class("::"), Some("unspecified"));
        assert_eq!(class("fe80::1"), Some("link-local"));
        assert_eq!(class("fd00::1"), Some("unique-local"));
        assert_eq!(class("fc12::1"), Some("unique-local"));
        assert_eq!(class("ff02::1"), Some("multicast"));
        // IPv4-mapped and -compatible forms are judged as the IPv4 address they carry.
        assert_eq!(class("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(class("::ffff:169.254.169.254"), Some("link-local"));
        assert_eq!(class("::10.0.0.1"), Some("private"));
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "140.82.112.3",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_refused_with_the_reason_and_the_setting() {
        let url = url::Url::parse("https://[::1]:8443/x").unwrap();
        let err = check_literal_host(&url, false).unwrap_err();
        let EgressError::HostNotAllowed(msg) = &err else {
            panic!("{err:?}")
        };
        assert!(
            msg.contains("loopback") && msg.contains(OPT_IN_SETTING),
            "{msg}"
        );
        assert!(check_literal_host(&url, true).is_ok());
        let named = url::Url::parse("https://localhost/x").unwrap();
        assert!(
            check_literal_host(&named, false).is_ok(),
            "names wait for resolution"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_inward() {
        let refused = GuardedResolver::new(false)
            .resolve("localhost".parse().unwrap())
            .await;
        let err = refused
            .err()
            .expect("localhost must be refused")
            .to_string();
        assert!(
            err.contains("localhost resolves to a loopback address"),
            "{err}"
        );
        let allowed = GuardedResolver::new(true)
            .resolve("localhost".parse().unwrap())
            .await;
        assert!(allowed.is_ok());
    }
}
