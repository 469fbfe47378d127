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
        let (n, unit) = match secs {
            0..=59 => (secs, "second"),
            60..=3599 => (secs / 60, "minute"),
            _ => (secs / 3600, "hour"),
        };
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    } else {
        local(ts).strftime("%Y-%m-%d %H:%M:%S %z").to_string()
    }
}

/// RFC 3339 in local time with its offset (`--date iso`).
pub fn iso_local(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn local(ts: Timestamp) -> Zoned {
    ts.to_zoned(TimeZone::system())
}
