//! Date formatting without a date crate: UTC civil dates and API Gateway's
//! `requestTime` format (`09/Apr/2015:12:34:56 +0000`), for what every
//! request writes.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
}

/// Converts a time to its UTC civil date (Howard Hinnant's algorithm).
pub fn civil(t: SystemTime) -> Civil {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if month <= 2 { y + 1 } else { y },
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// API Gateway's `requestTime`: `09/Apr/2015:12:34:56 +0000`.
pub fn request_time(t: SystemTime) -> String {
    RequestTime::of(t).as_str().to_string()
}

/// A `requestTime` written into a fixed buffer (no allocation: every
/// gateway request carries one).
#[derive(Clone, Copy)]
pub struct RequestTime([u8; 26]);

impl RequestTime {
    /// The `requestTime` of `t`: the last one a thread wrote is kept, and
    /// written again only when the second changes (as hyper keeps its
    /// `Date` header).
    pub fn of(t: SystemTime) -> RequestTime {
        thread_local! {
            static LAST: std::cell::Cell<Option<(u64, RequestTime)>> =
                const { std::cell::Cell::new(None) };
        }
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        LAST.with(|last| match last.get() {
            Some((at, text)) if at == secs => text,
            _ => {
                let text = RequestTime::write(t);
                last.set(Some((secs, text)));
                text
            }
        })
    }

    fn write(t: SystemTime) -> RequestTime {
        let c = civil(t);
        let mut b = *b"00/Jan/0000:00:00:00 +0000";
        let two = |b: &mut [u8], at: usize, n: u32| {
            b[at] = b'0' + (n / 10 % 10) as u8;
            b[at + 1] = b'0' + (n % 10) as u8;
        };
        two(&mut b, 0, c.day);
        b[3..6].copy_from_slice(MONTHS[(c.month as usize).clamp(1, 12) - 1].as_bytes());
        let year = c.year.clamp(0, 9999) as u32;
        two(&mut b, 7, year / 100);
        two(&mut b, 9, year % 100);
        two(&mut b, 12, c.hour);
        two(&mut b, 15, c.minute);
        two(&mut b, 18, c.second);
        RequestTime(b)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and the month names are ever written.
        std::str::from_utf8(&self.0).unwrap_or("01/Jan/1970:00:00:00 +0000")
    }
}

impl serde::Serialize for RequestTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_secs(1_428_582_896);
        assert_eq!(request_time(t), "09/Apr/2015:12:34:56 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(1_583_817_383);
        assert_eq!(request_time(t), "10/Mar/2020:05:16:23 +0000");
        // The same second again (kept), a later instant of it, the next.
        assert_eq!(request_time(t), "10/Mar/2020:05:16:23 +0000");
        let later = t + Duration::from_millis(999);
        assert_eq!(request_time(later), "10/Mar/2020:05:16:23 +0000");
        assert_eq!(
            request_time(later + Duration::from_millis(1)),
            "10/Mar/2020:05:16:24 +0000"
        );
        assert_eq!(request_time(UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(
            civil(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            Civil {
                year: 2000,
                month: 2,
                day: 29,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
    }
}
