//! CloudWatch's standard units.

macro_rules! units {
    ($($v:ident => $s:literal),* $(,)?) => {
        /// A CloudWatch `StandardUnit`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Unit {
            $(#[doc = $s] $v,)*
        }

        impl Unit {
            /// Every unit, in CloudWatch's order.
            pub const ALL: &'static [Unit] = &[$(Unit::$v),*];

            /// The name CloudWatch uses (`Bytes/Second`).
            pub fn as_str(self) -> &'static str {
                match self { $(Unit::$v => $s,)* }
            }

            /// Parses a unit name exactly as CloudWatch spells it.
            pub fn parse(s: &str) -> Option<Unit> {
                match s { $($s => Some(Unit::$v),)* _ => None }
            }
        }
    };
}

units! {
    Seconds => "Seconds", Microseconds => "Microseconds", Milliseconds => "Milliseconds",
    Bytes => "Bytes", Kilobytes => "Kilobytes", Megabytes => "Megabytes", Gigabytes => "Gigabytes",
    Terabytes => "Terabytes", Bits => "Bits", Kilobits => "Kilobits", Megabits => "Megabits",
    Gigabits => "Gigabits", Terabits => "Terabits", Percent => "Percent", Count => "Count",
    BytesPerSecond => "Bytes/Second", KilobytesPerSecond => "Kilobytes/Second",
    MegabytesPerSecond => "Megabytes/Second", GigabytesPerSecond => "Gigabytes/Second",
    TerabytesPerSecond => "Terabytes/Second", BitsPerSecond => "Bits/Second",
    KilobitsPerSecond => "Kilobits/Second", MegabitsPerSecond => "Megabits/Second",
    GigabitsPerSecond => "Gigabits/Second", TerabitsPerSecond => "Terabits/Second",
    CountPerSecond => "Count/Second", None => "None",
}

impl Default for Unit {
    /// `None`, CloudWatch's unit when none is given.
    fn default() -> Self {
        Unit::None
    }
}

/// The list of valid unit names, for error messages.
pub fn valid_names() -> String {
    Unit::ALL
        .iter()
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for u in Unit::ALL {
            assert_eq!(Unit::parse(u.as_str()), Some(*u));
        }
        assert_eq!(Unit::parse("ms"), None);
        assert_eq!(Unit::default(), Unit::None);
    }
}
