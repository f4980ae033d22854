//! Parsers of the peers' text output (`LC_ALL=C`) into tables of numbers.
//!
//! All three tools print blocks separated by blank lines. A block starts with a header line
//! (an optional time stamp or label such as `03:12:42` or `Average:`, an optional key column
//! such as `Device`, `CPU` or `IFACE`, then the metric names) followed by rows whose last
//! tokens are the values. Rows are read from the right, so the time stamp's format does not
//! matter. Blocks with the same columns form one section; within a section a new interval
//! starts at each header or when a row's key repeats (`sar -f` prints all intervals of an
//! activity in one block), and `Average:` rows go to the section's average.

use std::collections::BTreeMap;

/// Row key → column name → value, for one interval.
pub type Table = BTreeMap<String, BTreeMap<String, f64>>;

/// Key of the single row of a section without a key column (`sar` TCP and ETCP).
pub const NO_KEY: &str = "-";

/// Header names of key columns.
const KEY_COLUMNS: &[&str] = &["Device", "CPU", "IFACE"];

/// One section of a peer's output: its columns, one table per interval, and the `Average:`
/// rows if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reports {
    /// Name of the key column (`Device`, `CPU`, `IFACE`), `None` when rows have no key.
    pub key: Option<String>,
    /// Metric column names, in printed order.
    pub columns: Vec<String>,
    /// One table per interval report, in order.
    pub intervals: Vec<Table>,
    pub average: Option<Table>,
    /// Set by a header: the next row starts a new interval.
    new_interval: bool,
}

impl Reports {
    /// The last interval report.
    pub fn last(&self) -> Result<&Table, String> {
        self.intervals
            .last()
            .ok_or_else(|| format!("no interval report for {:?}", self.columns))
    }

    /// `column` of row `key` in the last interval report.
    pub fn value(&self, key: &str, column: &str) -> Result<f64, String> {
        self.last()?
            .get(key)
            .and_then(|row| row.get(column))
            .copied()
            .ok_or_else(|| format!("no {column} for {key} in the last report"))
    }

    fn add_row(&mut self, key: &str, row: BTreeMap<String, f64>, average: bool) {
        if average {
            self.average
                .get_or_insert_default()
                .insert(key.to_owned(), row);
            return;
        }
        let repeated = self.intervals.last().is_none_or(|t| t.contains_key(key));
        if self.new_interval || repeated {
            self.intervals.push(Table::new());
            self.new_interval = false;
        }
        if let Some(table) = self.intervals.last_mut() {
            table.insert(key.to_owned(), row);
        }
    }
}

/// The four sections of `sar -n DEV,EDEV,TCP,ETCP`.
#[derive(Debug, Clone, PartialEq)]
pub struct SarNet {
    /// Keyed by interface: `rxpck/s`, `txpck/s`, `rxkB/s`, `txkB/s`, …, `%ifutil`.
    pub dev: Reports,
    /// Keyed by interface: `rxerr/s`, `txerr/s`, `coll/s`, `rxdrop/s`, …
    pub edev: Reports,
    /// Key [`NO_KEY`]: `active/s`, `passive/s`, `iseg/s`, `oseg/s`.
    pub tcp: Reports,
    /// Key [`NO_KEY`]: `atmptf/s`, `estres/s`, `retrans/s`, `isegerr/s`, `orsts/s`.
    pub etcp: Reports,
}

/// `iostat -x` (any `-p`/`-d`/`-k` combination): keyed by device, columns `r/s`, `rkB/s`, …,
/// `%util`.
pub fn parse_iostat_x(out: &str) -> Result<Reports, String> {
    take_section(parse_sections(out)?, "iostat -x", |r| {
        r.key.as_deref() == Some("Device")
    })
}

/// `mpstat -P ALL`: keyed by `all`, `0`, `1`, …, columns `%usr`, `%nice`, …, `%idle`.
pub fn parse_mpstat(out: &str) -> Result<Reports, String> {
    take_section(parse_sections(out)?, "mpstat", |r| {
        r.key.as_deref() == Some("CPU") && r.columns.iter().any(|c| c == "%usr")
    })
}

/// `sar -n DEV,EDEV,TCP,ETCP`, live or `-f`.
pub fn parse_sar_net(out: &str) -> Result<SarNet, String> {
    let sections = parse_sections(out)?;
    let find = |what: &str, column: &str| {
        take_section(sections.clone(), what, |r| {
            r.columns.iter().any(|c| c == column)
        })
    };
    Ok(SarNet {
        dev: find("sar DEV", "rxpck/s")?,
        edev: find("sar EDEV", "rxerr/s")?,
        tcp: find("sar TCP", "active/s")?,
        etcp: find("sar ETCP", "atmptf/s")?,
    })
}

fn take_section(
    sections: Vec<Reports>,
    what: &str,
    matches: impl Fn(&Reports) -> bool,
) -> Result<Reports, String> {
    sections
        .into_iter()
        .find(matches)
        .ok_or_else(|| format!("no {what} section in the output"))
}

/// Splits a peer's output into sections (see the module doc).
pub fn parse_sections(out: &str) -> Result<Vec<Reports>, String> {
    let mut sections: Vec<Reports> = Vec::new();
    let mut current: Option<usize> = None;
    for line in out.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(last) = tokens.last() else {
            current = None;
            continue;
        };
        if tokens[0] == "Linux" {
            continue; // banner: kernel, host, date, CPU count
        }
        if last.parse::<f64>().is_err() {
            current = Some(open_section(&mut sections, &tokens));
            continue;
        }
        let section = current
            .and_then(|i| sections.get_mut(i))
            .ok_or_else(|| format!("row before any header: {line:?}"))?;
        let width = section.columns.len();
        let key_width = usize::from(section.key.is_some());
        let Some(first_value) = tokens.len().checked_sub(width) else {
            return Err(format!(
                "row shorter than its header {:?}: {line:?}",
                section.columns
            ));
        };
        let key = match first_value.checked_sub(key_width) {
            None => return Err(format!("row without a key: {line:?}")),
            Some(_) if key_width == 0 => NO_KEY,
            Some(i) => tokens[i],
        };
        let row = section
            .columns
            .iter()
            .zip(&tokens[first_value..])
            .map(|(column, value)| {
                value
                    .parse::<f64>()
                    .map(|v| (column.clone(), v))
                    .map_err(|_| format!("{column} = {value:?} is not a number in {line:?}"))
            })
            .collect::<Result<_, _>>()?;
        section.add_row(key, row, tokens[0] == "Average:");
    }
    Ok(sections)
}

/// Finds or creates the section a header line belongs to; returns its index.
fn open_section(sections: &mut Vec<Reports>, header: &[&str]) -> usize {
    let is_key = |t: &str| KEY_COLUMNS.contains(&t.trim_end_matches(':'));
    let is_prefix = |t: &&str| matches!(*t, "AM" | "PM") || (t.contains(':') && !is_key(t));
    let names: Vec<&str> = header.iter().copied().skip_while(is_prefix).collect();
    let (key, columns) = match names.split_first() {
        Some((first, rest)) if is_key(first) => (Some(first.trim_end_matches(':')), rest),
        _ => (None, names.as_slice()),
    };
    let key = key.map(str::to_owned);
    let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let index = match sections
        .iter()
        .position(|s| s.key == key && s.columns == columns)
    {
        Some(i) => i,
        None => {
            sections.push(Reports {
                key,
                columns,
                ..Reports::default()
            });
            sections.len() - 1
        }
    };
    sections[index].new_interval = true;
    index
}
