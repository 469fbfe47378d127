//! Time: release timestamps (UTC, whole seconds, `REL_DATE` honoured as git
//! honours `GIT_COMMITTER_DATE`) and how people see them.

use jiff::{Timestamp, Zoned, tz::TimeZone};

use crate::error::{Error, Result};

/// Now, or `rel_date` (RFC 3339) when given. Whole seconds.
pub fn now(rel_date: Option<&str>) -> Result<Timestamp> {
    let ts = match rel_date {
        Some(text) => text.parse::<Timestamp>().map_err(|e| {
            Error::refused(format!(
                "REL_DATE '{text}' is not an RFC 3339 time ({e}); write it as 2026-01-31T12:00:00Z"
            ))
        })?,
        None => Timestamp::now(),
    };
    Timestamp::from_second(ts.as_second()).map_err(|e| Error::refused(e.to_string()))
}

/// Heroku's When: "5 minutes ago" under 24 hours, else local time with offset.
pub fn human(ts: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second() - ts.as_second();
    if (0..86_400).contains(&secs) {
        relative(ts, now)
    } else {
        local(ts).strftime("%Y-%m-%d %H:%M:%S %z").to_string()
    }
}

/// "5 minutes ago", "3 days ago", "1 year, 2 months ago", whatever the age
/// (`--date relative`, as git's): seconds, minutes and hours under a day,
/// then days, weeks (from 14 days), months (from 70 days) and years.
pub fn relative(ts: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second() - ts.as_second();
    let units = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let days = secs / 86_400;
    let age = match secs {
        ..0 => return "in the future".to_string(),
        0..=59 => units(secs, "second"),
        60..=3599 => units(secs / 60, "minute"),
        3600..=86_399 => units(secs / 3600, "hour"),
        _ if days < 14 => units(days, "day"),
        _ if days < 70 => units(days / 7, "week"),
        _ if days < 365 => units(days / 30, "month"),
        _ => {
            let (years, months) = (days / 365, days % 365 / 30);
            if years < 5 && months > 0 {
                format!("{}, {}", units(years, "year"), units(months, "month"))
            } else {
                units(years, "year")
            }
        }
    };
    format!("{age} ago")
}

/// RFC 3339 in local time with its offset (`--date iso`).
pub fn iso_local(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn local(ts: Timestamp) -> Zoned {
    ts.to_zoned(TimeZone::system())
}
