//! CSV and JSON exports of a label table, one row per user, streamed.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

use super::table::LabelTable;
use crate::{Error, Result};

fn io(e: &std::io::Error) -> Error {
    Error::Read(format!("cannot write the label table: {e}"))
}

/// A CSV field, quoted (RFC 4180) when it holds a separator, a quote or a line break.
fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

impl<U> LabelTable<U> {
    /// Writes the table as CSV with a header: `user`, one `stage_<period>` column per period,
    /// `inactive_periods`, then the columns of the labels present: `r,f,m,rfm_segment`,
    /// `health`, `value_tier`, `p_alive,clv`, `tags` (joined with `;`). A missing label is an
    /// empty field.
    ///
    /// # Errors
    /// [`Error::Read`] when the writer fails.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::engine::EventTable;
    /// use userops::event::EventRecord;
    /// use userops::labels::{label_events, LabelOptions};
    /// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let table = EventTable::from_events([EventRecord::<&str>::new("a,b", t).with_amount(3.0)])?;
    /// let mut o = LabelOptions::monthly(t, 1);
    /// o.rfm = None;
    /// o.health = None;
    /// let mut out = Vec::new();
    /// label_events(&table, &o)?.write_csv(&mut out)?;
    /// assert_eq!(String::from_utf8(out)?, "user,stage_2025-03,inactive_periods\n\"a,b\",new,0\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv<W: Write>(&self, mut out: W) -> Result<()>
    where
        U: Display + Clone,
    {
        let mut head = vec!["user".to_string()];
        head.extend(self.periods.iter().map(|p| format!("stage_{p}")));
        head.push("inactive_periods".into());
        if self.rfm.is_some() {
            head.extend(["r", "f", "m", "rfm_segment"].map(String::from));
        }
        if self.health.is_some() {
            head.push("health".into());
        }
        if self.value_tier.is_some() {
            head.push("value_tier".into());
        }
        if self.clv.is_some() {
            head.extend(["p_alive", "clv"].map(String::from));
        }
        if self.tags.is_some() {
            head.push("tags".into());
        }
        writeln!(out, "{}", head.join(",")).map_err(|e| io(&e))?;
        let mut line = String::new();
        for r in self.rows() {
            line.clear();
            line.push_str(&field(&r.user.to_string()));
            for s in &r.stages {
                line.push(',');
                line.push_str(s.map_or("", |s| s.name()));
            }
            line.push(',');
            line.push_str(&r.inactive_periods.to_string());
            let opt = |v: Option<String>| v.unwrap_or_default();
            if self.rfm.is_some() {
                let [a, b, c] = r.rfm.map_or([None; 3], |s| s.map(Some));
                for x in [a, b, c] {
                    line.push(',');
                    line.push_str(&opt(x.map(|x| x.to_string())));
                }
                line.push(',');
                line.push_str(&field(&opt(r.rfm_segment)));
            }
            if self.health.is_some() {
                line.push(',');
                line.push_str(r.health.map_or("", |h| h.name()));
            }
            if self.value_tier.is_some() {
                line.push(',');
                line.push_str(&field(&opt(r.value_tier)));
            }
            if self.clv.is_some() {
                line.push(',');
                line.push_str(&opt(r.p_alive.map(|x| x.to_string())));
                line.push(',');
                line.push_str(&opt(r.clv.map(|x| x.to_string())));
            }
            if self.tags.is_some() {
                line.push(',');
                line.push_str(&field(&r.tags.join(";")));
            }
            line.push('\n');
            out.write_all(line.as_bytes()).map_err(|e| io(&e))?;
        }
        out.flush().map_err(|e| io(&e))
    }

    /// Writes the table as a JSON array of [`super::UserLabels`] objects, one per user
    /// (stages as an array, one per period; absent labels `null`).
    ///
    /// # Errors
    /// [`Error::Read`] when the writer fails.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::engine::EventTable;
    /// use userops::event::EventRecord;
    /// use userops::labels::{label_events, LabelOptions, UserLabels};
    /// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let table = EventTable::from_events([EventRecord::<u32>::new(7_u32, t).with_amount(3.0)])?;
    /// let mut out = Vec::new();
    /// label_events(&table, &LabelOptions::monthly(t, 2))?.write_json(&mut out)?;
    /// let rows: Vec<UserLabels<u32>> = serde_json::from_slice(&out)?;
    /// assert_eq!(rows[0].stages.len(), 2);
    /// assert_eq!(rows[0].rfm, Some([5, 1, 1])); // one customer: recency top, F and M lowest
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json<W: Write>(&self, mut out: W) -> Result<()>
    where
        U: Serialize + Clone,
    {
        out.write_all(b"[").map_err(|e| io(&e))?;
        for (i, r) in self.rows().enumerate() {
            if i > 0 {
                out.write_all(b",\n").map_err(|e| io(&e))?;
            }
            serde_json::to_writer(&mut out, &r)
                .map_err(|e| Error::Read(format!("cannot write the label table: {e}")))?;
        }
        out.write_all(b"]\n").map_err(|e| io(&e))?;
        out.flush().map_err(|e| io(&e))
    }
}
