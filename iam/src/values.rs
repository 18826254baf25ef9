//! Scalar values of conditions: numbers, dates (ISO 8601 / RFC 3339 or epoch seconds) and IP
//! addresses or ranges.

use std::net::IpAddr;

use ipnet::IpNet;

/// A finite number, as `Numeric*` operators compare them.
pub(crate) fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// An IP range; a bare address is its own /32 or /128.
pub(crate) fn ip_range(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

/// An IP address of a request (`aws:SourceIp`).
pub(crate) fn ip_address(text: &str) -> Option<IpAddr> {
    text.trim().parse::<IpAddr>().ok()
}

/// Seconds since the epoch: an epoch number (`1577836801`), or a W3C ISO 8601 date
/// (`2020-01-01`, `2020-01-01T00:00:01Z`, `2020-01-01T00:00:01.5+02:00`; no offset means UTC).
pub(crate) fn date(text: &str) -> Option<f64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<f64>().ok();
    }
    let b = t.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let s = t.get(from..from + len)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = digits(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (digits(5, 2)?, digits(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    if b.len() == 10 {
        return Some(seconds);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (hour, minute) = (digits(11, 2)?, digits(14, 2)?);
    if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    seconds += (hour * 3600 + minute * 60) as f64;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let second = digits(i + 1, 2)?;
        if second > 60 {
            return None;
        }
        seconds += second as f64;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            seconds += format!("0.{}", &t[start..end]).parse::<f64>().ok()?;
            i = end;
        }
    }
    match b.get(i) {
        None => Some(seconds),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(seconds),
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let (oh, om) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 3600 + om * 60) as f64;
            Some(if *sign == b'+' {
                seconds - offset
            } else {
                seconds + offset
            })
        }
        _ => None,
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(date("2020-01-01T00:00:01Z"), Some(1_577_836_801.0));
        assert_eq!(date("1577836801"), Some(1_577_836_801.0));
        assert_eq!(date("2020-01-01"), Some(1_577_836_800.0));
        assert_eq!(date("2020-01-01T02:00:01+02:00"), Some(1_577_836_801.0));
        assert_eq!(date("2020-01-01T00:00:01.5Z"), Some(1_577_836_801.5));
        assert_eq!(date("2024-02-29T00:00Z"), Some(1_709_164_800.0));
        for bad in [
            "",
            "2023-02-29",
            "2020-13-01",
            "2020-01-01T25:00Z",
            "yesterday",
            "2020-01-01Tx",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(number("10"), Some(10.0));
        assert_eq!(number(" 2.5 "), Some(2.5));
        assert_eq!(number("NaN"), None);
        assert_eq!(number("inf"), None);
        let net = ip_range("203.0.113.0/24").unwrap();
        assert!(net.contains(&ip_address("203.0.113.9").unwrap()));
        assert!(!net.contains(&ip_address("203.0.114.9").unwrap()));
        assert!(ip_range("2001:DB8:1234:5678::/64").is_some());
        assert_eq!(ip_range("10.0.0.1"), "10.0.0.1/32".parse().ok());
    }
}
