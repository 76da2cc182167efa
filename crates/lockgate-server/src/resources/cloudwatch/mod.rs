//! Amazon CloudWatch: alarms.

mod alarm;

pub use alarm::Alarm;
