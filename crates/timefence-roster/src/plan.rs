//! The cheapest licenses that cover a demand.
//!
//! A proposed license is a daily window (a start quarter-hour and a length, crossing midnight
//! if it must, or the whole day) with a number of seats, open every day. Its price per day is
//! the price book's: per seat per block of hours, pro-rata (seat-time at the block price) or in
//! whole blocks (each day's window rounded up to whole blocks).
//!
//! The plan is an integer program: for every candidate window, an integer number of seats and
//! a yes/no "used"; every quarter-hour's demand covered; at most `max_licenses` used; the least
//! cost, then the fewest licenses, then the shortest windows (each goal weighted so that one
//! unit of it outweighs everything the next can add: the BPO's three shifts come out as three
//! 8-hour windows, not as an equal-cost 16-hour night window over a smaller morning one). `microlp` solves it by branch and bound, with a limit
//! on nodes ([`NODE_LIMIT`]; a count, not a time, so the answer does not depend on the
//! machine's speed): within it the plan is proven optimal, beyond it the best of the search's
//! plan, the whole day at the peak and the nested layers (`nested_layers`) is returned with
//! its gap. Measured here: 8 or 12 changes of demand a day are proven in about a
//! second; 24 changes (553 candidate windows) stop at the limit after several seconds with a
//! gap of 4 to 31%. A stronger solver is the next step for rosters with many shift starts.
//!
//! The candidate windows start and end where the demand changes (and, in whole blocks, also a
//! whole number of blocks from such a point). With pro-rata prices that loses nothing: moving a
//! window's edge inside a stretch of constant demand changes the cost linearly, so some optimum
//! has every edge where the demand or another edge changes, and by induction where the demand
//! does. The tests check plans against an exhaustive search on a coarser grid.

use crate::demand::{Demand, QUARTERS};
use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions};
use serde::Serialize;
use timefence_terms::{Pricing, Rounding};

/// The most licenses a plan may be asked for.
pub const MAX_LICENSES: usize = 20;

/// The most seats a quarter-hour may need.
pub const MAX_SEATS: u32 = 100_000;

/// The branch-and-bound nodes a plan may take before it settles for its best plan and reports
/// the gap: a count, not a time, so the same roster gets the same plan on any machine.
pub const NODE_LIMIT: u64 = 3_000;

/// The largest objective the solver's floating point holds exactly (2^52).
const EXACT: f64 = 4_503_599_627_370_496.0;

/// Every day of the week, as a weekday mask (bit 0 Monday ... bit 6 Sunday).
pub const EVERY_DAY: u8 = 0x7f;

/// The weekday masks a plan may give a license when the roster's weekdays differ: every day,
/// Monday to Friday, Saturday and Sunday, Monday to Saturday, Saturday, Sunday.
pub const MASKS: [u8; 6] = [EVERY_DAY, 0x1f, 0x60, 0x3f, 0x20, 0x40];

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One license of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedLicense {
    /// The quarter-hour the window opens (0 = 00:00).
    pub start: usize,
    /// How many quarter-hours it stays open (96 = all day).
    pub quarters: usize,
    /// Seats.
    pub seats: u32,
    /// The days the window opens on (bit 0 Monday ... bit 6 Sunday; [`EVERY_DAY`]).
    pub weekdays: u8,
}

impl ProposedLicense {
    /// A license open every day.
    pub fn every_day(start: usize, quarters: usize, seats: u32) -> ProposedLicense {
        ProposedLicense {
            start,
            quarters,
            seats,
            weekdays: EVERY_DAY,
        }
    }

    /// How many days a week it opens.
    pub fn days(&self) -> u32 {
        (self.weekdays & EVERY_DAY).count_ones()
    }

    /// The days it opens on as the terms name them (`Mon`, `Tue`...), or `None` for every day.
    pub fn weekday_names(&self) -> Option<Vec<String>> {
        (self.weekdays & EVERY_DAY != EVERY_DAY).then(|| {
            (0..7)
                .filter(|d| self.weekdays & (1 << d) != 0)
                .map(|d| DAY_NAMES[d].to_string())
                .collect()
        })
    }

    /// The most seats `demand` needs in a quarter-hour this license is open (on any weekday
    /// it opens).
    pub fn busiest(&self, demand: &Demand) -> u32 {
        (0..7)
            .flat_map(|d| (0..QUARTERS).map(move |q| (d, q)))
            .filter(|&(d, q)| self.covers_on(d, q))
            .map(|(d, q)| {
                demand
                    .by_weekday
                    .get(d)
                    .map_or(demand.slots[q], |row| row[q])
            })
            .max()
            .unwrap_or(0)
    }

    /// The days in words: "every day", "Mon-Fri", "Sat, Sun".
    pub fn days_text(&self) -> String {
        days_text(self.weekdays)
    }

    /// Whether quarter-hour `q` of weekday `day` (Monday 0) is inside the window: a window
    /// across midnight opened the day before for the quarter-hours after midnight.
    pub fn covers_on(&self, day: usize, q: usize) -> bool {
        mask_covers(self.start, self.quarters, self.weekdays, day, q)
    }

    /// The window's opening time, `HH:MM`.
    pub fn daily_start(&self) -> String {
        clock(self.start)
    }

    /// The window's closing time, `HH:MM` (`24:00` for a window that closes at midnight).
    pub fn daily_end(&self) -> String {
        let end = (self.start + self.quarters) % QUARTERS;
        if end == 0 {
            "24:00".into()
        } else {
            clock(end)
        }
    }

    /// Whether quarter-hour `q` is inside the window.
    pub fn covers(&self, q: usize) -> bool {
        window_covers(self.start, self.quarters, q)
    }
}

/// Whether quarter-hour `q` is inside the window of `quarters` quarter-hours opening at `start`
/// (around midnight if it must).
fn window_covers(start: usize, quarters: usize, q: usize) -> bool {
    (q + QUARTERS - start) % QUARTERS < quarters
}

/// Whether the window (`start`, `quarters`) opening on the days of `mask` covers quarter-hour
/// `q` of weekday `day`.
fn mask_covers(start: usize, quarters: usize, mask: u8, day: usize, q: usize) -> bool {
    if !window_covers(start, quarters, q) {
        return false;
    }
    // After midnight, the occurrence that covers q opened the day before.
    let opened = if q >= start || quarters == QUARTERS {
        day
    } else {
        (day + 6) % 7
    };
    mask & (1 << opened) != 0
}

/// A weekday mask in words: "every day", "Mon-Fri", "Sat, Sun".
pub fn days_text(mask: u8) -> String {
    let mask = mask & EVERY_DAY;
    if mask == EVERY_DAY {
        return "every day".into();
    }
    let days: Vec<usize> = (0..7).filter(|d| mask & (1 << d) != 0).collect();
    let contiguous = days.windows(2).all(|w| w[1] == w[0] + 1);
    if days.len() > 2 && contiguous {
        format!("{}-{}", DAY_NAMES[days[0]], DAY_NAMES[days[days.len() - 1]])
    } else {
        days.iter()
            .map(|&d| DAY_NAMES[d])
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn clock(quarter: usize) -> String {
    format!("{:02}:{:02}", quarter / 4, quarter % 4 * 15)
}

/// How sure the plan's cost is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum Optimality {
    /// No cheaper plan exists within the candidate windows.
    Proven,
    /// The solver stopped with this relative gap to its best bound.
    Gap(f64),
}

/// A plan: the licenses, what they cost per day, and how sure that is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The licenses, by opening time.
    pub licenses: Vec<ProposedLicense>,
    /// Their price per (23-, 24- or 25-hour) day of 24 hours in minor units, as the price book
    /// prices one ordinary day: pro-rata rounded down once per license; with licenses that
    /// open on some weekdays only, a week's price divided by 7 (rounded down).
    pub cost_per_day_minor: u64,
    /// Their price per week of ordinary days, in minor units.
    pub cost_per_week_minor: u64,
    /// One 24-hour license for the demand's peak, per day, in minor units.
    pub baseline_per_day_minor: u64,
    /// Candidate windows considered.
    pub candidates: usize,
    /// How sure the cost is.
    pub optimality: Optimality,
}

impl Plan {
    /// How sure the plan is, in words: "proven optimal among 14 candidate windows", or the gap.
    pub fn optimality_text(&self) -> String {
        match self.optimality {
            _ if self.licenses.is_empty() => "nothing to license: no agent works".to_string(),
            Optimality::Proven => format!(
                "proven optimal among {} candidate window{}",
                self.candidates,
                if self.candidates == 1 { "" } else { "s" }
            ),
            Optimality::Gap(gap) if gap.is_finite() && gap < 1.0 => format!(
                "not proven: the search stopped at its limit, at most {:.2}% above the optimum",
                gap * 100.0
            ),
            Optimality::Gap(_) => {
                "not proven: the search stopped at its limit without a bound".to_string()
            }
        }
    }
}

/// Why no plan was made.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum PlanError {
    /// The number of licenses asked for is out of range.
    #[error("Licenses: at most {MAX_LICENSES}, at least 1 (asked for {0})")]
    MaxLicenses(usize),
    /// The demand is malformed or too large.
    #[error("the demand is out of range: {0}")]
    Demand(String),
    /// The solver failed or returned a plan that does not cover the demand.
    #[error("the solver failed: {0}")]
    Solver(String),
}

/// A window's price per seat per day, in minor units times `4 × block_hours` (so that a
/// pro-rata quarter-hour is a whole number).
/// Saturates rather than overflow: a price book may name any amount, and [`plan`] refuses what
/// it cannot plan exactly before it relies on these.
fn scaled_price(quarters: usize, pricing: &Pricing) -> u64 {
    let block = 4 * u64::from(pricing.block_hours.max(1));
    let quarters = match pricing.rounding {
        Rounding::ProRata => quarters as u64,
        Rounding::WholeBlocks => (quarters as u64).div_ceil(block) * block,
    };
    quarters.saturating_mul(pricing.price_minor)
}

/// One day's price of `license` in minor units (pro-rata rounded down).
pub fn price_per_day(license: &ProposedLicense, pricing: &Pricing) -> u64 {
    let block = 4 * u64::from(pricing.block_hours.max(1));
    let scaled = u128::from(scaled_price(license.quarters, pricing)) * u128::from(license.seats);
    u64::try_from(scaled / u128::from(block)).unwrap_or(u64::MAX)
}

/// The candidate windows `(start, quarters)` for the demand `rows` (one per weekday, or one
/// for every day; see the module's overview).
fn candidates(rows: &[&[u32]], pricing: &Pricing) -> Vec<(usize, usize)> {
    let changes: Vec<usize> = (0..QUARTERS)
        .filter(|&q| {
            // With a row per weekday, midnight is where the day a window opened changes.
            (q == 0 && rows.len() > 1)
                || rows
                    .iter()
                    .any(|slots| slots[q] != slots[(q + QUARTERS - 1) % QUARTERS])
        })
        .collect();
    let mut out = vec![(0, QUARTERS)];
    for &a in &changes {
        for &b in &changes {
            if a != b {
                out.push((a, (b + QUARTERS - a) % QUARTERS));
            }
        }
    }
    if pricing.rounding == Rounding::WholeBlocks {
        let block = 4 * pricing.block_hours.max(1) as usize;
        for &p in &changes {
            let mut length = block;
            while length < QUARTERS {
                out.push((p, length));
                out.push(((p + QUARTERS - length) % QUARTERS, length));
                length += block;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The smallest window (start, quarter-hours) holding every quarter-hour whose demand is over
/// `level`, or `None` when there is none.
fn arc_over(slots: &[u32], level: u32) -> Option<(usize, usize)> {
    let over: Vec<bool> = slots.iter().map(|&d| d > level).collect();
    if !over.iter().any(|&o| o) {
        return None;
    }
    if over.iter().all(|&o| o) {
        return Some((0, QUARTERS));
    }
    // The longest run of quarter-hours not over the level, around the clock, is left out.
    let (mut best_start, mut best_len) = (0, 0);
    for start in 0..QUARTERS {
        if over[start] || !over[(start + QUARTERS - 1) % QUARTERS] {
            continue;
        }
        let len = (0..QUARTERS)
            .take_while(|i| !over[(start + i) % QUARTERS])
            .count();
        if len > best_len {
            (best_start, best_len) = (start, len);
        }
    }
    Some(((best_start + best_len) % QUARTERS, QUARTERS - best_len))
}

/// A good plan found fast, for when the search stops at its limit: nested layers. Levels 0 = T0 < T1 < ... <
/// Tm = peak (m at most `most` licenses) each give a license over the smallest window holding
/// every quarter-hour needing more than the level below, with the difference as seats; every
/// quarter-hour is covered up to the first level at or over its demand. The levels are chosen
/// by dynamic programming for the least cost.
fn nested_layers(slots: &[u32], pricing: &Pricing, most: usize) -> Vec<ProposedLicense> {
    let mut levels: Vec<u32> = slots.iter().copied().filter(|&d| d > 0).collect();
    levels.push(0);
    levels.sort_unstable();
    levels.dedup();
    let n = levels.len();
    if n < 2 {
        return Vec::new();
    }
    let arcs: Vec<Option<(usize, usize)>> = levels.iter().map(|&l| arc_over(slots, l)).collect();
    let step = |a: usize, b: usize| -> u128 {
        let quarters = arcs[a].map_or(0, |(_, q)| q);
        u128::from(scaled_price(quarters, pricing)) * u128::from(levels[b] - levels[a])
    };
    // best[j][b]: least cost reaching level b with j layers, and the level below it.
    let mut best = vec![vec![(u128::MAX, usize::MAX); n]; most + 1];
    best[0][0] = (0, usize::MAX);
    for j in 1..=most {
        for b in 1..n {
            for a in 0..b {
                let (below, _) = best[j - 1][a];
                if below == u128::MAX {
                    continue;
                }
                let cost = below.saturating_add(step(a, b));
                if cost < best[j][b].0 {
                    best[j][b] = (cost, a);
                }
            }
        }
    }
    let Some(layers) = (1..=most).min_by_key(|&j| (best[j][n - 1].0, j)) else {
        return Vec::new();
    };
    let mut plan: Vec<ProposedLicense> = Vec::new();
    let (mut j, mut b) = (layers, n - 1);
    while j > 0 && b > 0 {
        let a = best[j][b].1;
        if a == usize::MAX {
            return Vec::new();
        }
        if let Some((start, quarters)) = arcs[a] {
            // Layers over the same window are one license.
            match plan
                .iter_mut()
                .find(|l| (l.start, l.quarters) == (start, quarters))
            {
                Some(l) => l.seats += levels[b] - levels[a],
                None => plan.push(ProposedLicense::every_day(
                    start,
                    quarters,
                    levels[b] - levels[a],
                )),
            }
        }
        (j, b) = (j - 1, a);
    }
    plan.sort_by_key(|l| (l.start, l.quarters));
    plan
}

/// Each weekday's demand as the program's constraints: weekdays that every mask treats alike
/// (Tuesday to Friday: each in the same masks as the day before) need one constraint per
/// quarter-hour, at the busiest of them, so the program stays small (a plan is still checked
/// against every weekday).
fn weekday_cells(rows: &[&[u32]], masks: &[u8]) -> Vec<(Option<usize>, usize, u32)> {
    let signature = |d: usize| -> Vec<(bool, bool)> {
        masks
            .iter()
            .map(|m| (m & (1 << d) != 0, m & (1 << ((d + 6) % 7)) != 0))
            .collect()
    };
    // (the masks' view of a weekday, the weekdays it holds)
    type Group = (Vec<(bool, bool)>, Vec<usize>);
    let mut groups: Vec<Group> = Vec::new();
    for d in 0..7 {
        let sig = signature(d);
        match groups.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, days)) => days.push(d),
            None => groups.push((sig, vec![d])),
        }
    }
    groups
        .iter()
        .flat_map(|(_, days)| {
            (0..QUARTERS).map(move |q| {
                let need = days.iter().map(|&d| rows[d][q]).max().unwrap_or(0);
                (Some(days[0]), q, need)
            })
        })
        .collect()
}

/// Whether `demand`'s weekdays differ (over a whole week), so that licenses for some weekdays
/// may cost less than licenses for every day.
fn weekdays_differ(demand: &Demand) -> bool {
    demand.weekly
        && demand.by_weekday.len() == 7
        && demand.by_weekday.iter().all(|row| row.len() == QUARTERS)
        && demand.by_weekday.iter().any(|row| *row != demand.slots)
}

/// The least a week of licenses could cost (scaled units), from the program's linear
/// relaxation (seats need not be whole, any number of licenses): with any candidate window and
/// any of the [`MASKS`] (`by_weekday`), no plan can cost less; with every-day licenses only, no
/// every-day plan can.
fn weekly_bound(demand: &Demand, pricing: &Pricing, by_weekday: bool) -> Result<f64, PlanError> {
    let weekdays: Vec<&[u32]> = demand.by_weekday.iter().map(Vec::as_slice).collect();
    let (rows, masks): (Vec<&[u32]>, &[u8]) = if by_weekday {
        (weekdays, &MASKS)
    } else {
        (vec![demand.slots.as_slice()], &[EVERY_DAY])
    };
    let windows = candidates(&rows, pricing);
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let vars: Vec<(ProposedLicense, microlp::Variable)> = windows
        .iter()
        .flat_map(|&(start, quarters)| masks.iter().map(move |&m| (start, quarters, m)))
        .map(|(start, quarters, weekdays)| {
            let cost = scaled_price(quarters, pricing) as f64 * f64::from(weekdays.count_ones());
            let license = ProposedLicense {
                start,
                quarters,
                seats: 0,
                weekdays,
            };
            (license, problem.add_var(cost, (0.0, f64::INFINITY)))
        })
        .collect();
    let cells = if by_weekday {
        weekday_cells(&rows, masks)
    } else {
        (0..QUARTERS).map(|q| (None, q, rows[0][q])).collect()
    };
    for (day, q, need) in cells {
        if need == 0 {
            continue;
        }
        let covering: Vec<_> = vars
            .iter()
            .filter(|(l, _)| match day {
                Some(d) => l.covers_on(d, q),
                None => l.covers(q),
            })
            .map(|&(_, v)| (v, 1.0))
            .collect();
        problem.add_constraint(covering, ComparisonOp::Ge, f64::from(need));
    }
    let solution = problem
        .solve()
        .map_err(|e| PlanError::Solver(e.to_string()))?
        .into_solution()
        .map_err(|_| PlanError::Solver("the relaxation stopped without a bound".into()))?;
    Ok(solution.objective())
}

/// A plan by weekday is looked for only when the relaxations say weekday licenses could save
/// more than this share of what every-day licenses cost; below it, the every-day plan stands,
/// its gap measured against the weekday relaxation (a roster whose days differ only by chance
/// absences would otherwise make the search six times larger for next to nothing).
pub const WEEKDAY_GAIN: f64 = 0.05;

/// The cheapest set of at most `max_licenses` licenses covering `demand`, priced by
/// `pricing` (see the module's overview).
pub fn plan(demand: &Demand, pricing: &Pricing, max_licenses: usize) -> Result<Plan, PlanError> {
    plan_within(demand, pricing, max_licenses, NODE_LIMIT)
}

/// [`plan`] with its own limit on branch-and-bound nodes: the every-day plan, then, when the
/// weekdays differ enough to matter ([`WEEKDAY_GAIN`]), the plan by weekday, whichever costs
/// less.
pub fn plan_within(
    demand: &Demand,
    pricing: &Pricing,
    max_licenses: usize,
    node_limit: u64,
) -> Result<Plan, PlanError> {
    let daily = solve(demand, pricing, max_licenses, node_limit, false)?;
    if daily.licenses.is_empty() || !weekdays_differ(demand) {
        return Ok(daily);
    }
    let week = |plan: &Plan| -> f64 {
        plan.licenses
            .iter()
            .map(|l| scaled_price(l.quarters, pricing) as f64 * f64::from(l.seats * l.days()))
            .sum()
    };
    // The every-day plan is a plan whatever happens below: a failure of the weekday search
    // leaves it standing, said not proven.
    let unproven = |daily: Plan| Plan {
        optimality: Optimality::Gap(1.0),
        ..daily
    };
    let (bound, every_day_bound) = match (
        weekly_bound(demand, pricing, true),
        weekly_bound(demand, pricing, false),
    ) {
        (Ok(bound), Ok(every_day)) => (bound, every_day),
        _ => return Ok(unproven(daily)),
    };
    let gap_to_bound = |plan: &Plan| {
        let cost = week(plan);
        if cost > 0.0 {
            ((cost - bound) / cost).max(0.0)
        } else {
            0.0
        }
    };
    let worse = |optimality: Optimality, gap: f64| match optimality {
        Optimality::Proven if gap <= 1e-9 => Optimality::Proven,
        Optimality::Proven => Optimality::Gap(gap),
        Optimality::Gap(g) => Optimality::Gap(g.max(gap)),
    };
    if bound >= every_day_bound * (1.0 - WEEKDAY_GAIN) {
        let gap = gap_to_bound(&daily);
        return Ok(Plan {
            optimality: worse(daily.optimality, gap),
            ..daily
        });
    }
    // Six masks make the program six times larger: the same work, in nodes, as the every-day one.
    let Ok(by_weekday) = solve(
        demand,
        pricing,
        max_licenses,
        (node_limit / MASKS.len() as u64).max(1),
        true,
    ) else {
        return Ok(unproven(daily));
    };
    if by_weekday.optimality == Optimality::Proven {
        return Ok(by_weekday);
    }
    let better =
        if (week(&by_weekday), by_weekday.licenses.len()) <= (week(&daily), daily.licenses.len()) {
            by_weekday
        } else {
            daily
        };
    let gap = gap_to_bound(&better);
    Ok(Plan {
        optimality: worse(better.optimality, gap),
        ..better
    })
}

/// The program for `demand`: by weekday when `weekdays` and the weekdays differ, else every
/// day alike.
fn solve(
    demand: &Demand,
    pricing: &Pricing,
    max_licenses: usize,
    node_limit: u64,
    weekdays: bool,
) -> Result<Plan, PlanError> {
    if !(1..=MAX_LICENSES).contains(&max_licenses) {
        return Err(PlanError::MaxLicenses(max_licenses));
    }
    let slots = &demand.slots;
    if slots.len() != QUARTERS {
        return Err(PlanError::Demand(format!(
            "{} quarter-hours, not {QUARTERS}",
            slots.len()
        )));
    }
    let peak = demand.peak();
    if peak > MAX_SEATS {
        return Err(PlanError::Demand(format!(
            "{peak} seats at once, at most {MAX_SEATS}"
        )));
    }
    let baseline = ProposedLicense::every_day(0, QUARTERS, peak);
    let baseline_per_day_minor = price_per_day(&baseline, pricing);
    if peak == 0 {
        return Ok(Plan {
            licenses: Vec::new(),
            cost_per_day_minor: 0,
            cost_per_week_minor: 0,
            baseline_per_day_minor,
            candidates: 0,
            optimality: Optimality::Proven,
        });
    }
    // Weekdays that need different seats get licenses for some weekdays (the [`MASKS`]);
    // a roster whose every day is alike (or that spans less than a week) is planned per day.
    let by_weekday = weekdays && weekdays_differ(demand);
    let (rows, masks): (Vec<&[u32]>, &[u8]) = if by_weekday {
        (
            demand.by_weekday.iter().map(Vec::as_slice).collect(),
            &MASKS,
        )
    } else {
        (vec![slots.as_slice()], &[EVERY_DAY])
    };
    // Each demand to cover: (weekday, or none for every day; quarter-hour; seats).
    let cells: Vec<(Option<usize>, usize, u32)> = if by_weekday {
        (0..7)
            .flat_map(|d| (0..QUARTERS).map(move |q| (d, q)))
            .map(|(d, q)| (Some(d), q, rows[d][q]))
            .collect()
    } else {
        (0..QUARTERS).map(|q| (None, q, slots[q])).collect()
    };
    let constrained: Vec<(Option<usize>, usize, u32)> = if by_weekday {
        weekday_cells(&rows, masks)
    } else {
        cells.clone()
    };
    let covers = |l: &ProposedLicense, day: Option<usize>, q: usize| match day {
        None => l.covers(q),
        Some(d) => l.covers_on(d, q),
    };
    // Per week when weekdays differ (a license's days count), per day otherwise.
    let days_of = |mask: u8| {
        if by_weekday {
            f64::from(mask.count_ones())
        } else {
            1.0
        }
    };
    let windows: Vec<(usize, usize, u8)> = candidates(&rows, pricing)
        .into_iter()
        .flat_map(|(start, quarters)| masks.iter().map(move |&m| (start, quarters, m)))
        .collect();
    // Fewest licenses outweighs every total of window lengths; least cost outweighs both.
    let per_license = (max_licenses * QUARTERS + 1) as f64;
    let per_cost = (max_licenses + 1) as f64 * per_license;
    // What one seat, and one license used, add to the objective (one definition for the
    // program and for comparing plans after it).
    let seat_weight = |quarters: usize| per_cost * scaled_price(quarters, pricing) as f64;
    let used_weight = |quarters: usize| per_license + quarters as f64;
    let week = if by_weekday { 7.0 } else { 1.0 };
    let most = per_cost * scaled_price(QUARTERS, pricing) as f64 * f64::from(peak) * 2.0 * week;
    if most > EXACT {
        return Err(PlanError::Demand(format!(
            "{peak} seats at {} minor units per block are too many to plan exactly",
            pricing.price_minor
        )));
    }
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let upper = i32::try_from(peak).map_err(|e| PlanError::Demand(e.to_string()))?;
    let vars: Vec<_> = windows
        .iter()
        .map(|&(_, quarters, mask)| {
            let seats = problem.add_integer_var(seat_weight(quarters) * days_of(mask), (0, upper));
            let used = problem.add_binary_var(used_weight(quarters));
            problem.add_constraint(
                [(seats, 1.0), (used, -f64::from(peak))],
                ComparisonOp::Le,
                0.0,
            );
            (seats, used)
        })
        .collect();
    problem.add_constraint(
        vars.iter()
            .map(|&(_, used)| (used, 1.0))
            .collect::<Vec<_>>(),
        ComparisonOp::Le,
        max_licenses as f64,
    );
    for &(day, q, need) in &constrained {
        if need == 0 {
            continue;
        }
        let covering: Vec<_> = windows
            .iter()
            .zip(&vars)
            .filter(|(&(start, quarters, weekdays), _)| {
                covers(
                    &ProposedLicense {
                        start,
                        quarters,
                        seats: 0,
                        weekdays,
                    },
                    day,
                    q,
                )
            })
            .map(|(_, &(seats, _))| (seats, 1.0))
            .collect();
        problem.add_constraint(covering, ComparisonOp::Ge, f64::from(need));
    }
    let layered = nested_layers(slots, pricing, max_licenses);
    let outcome = problem
        .solve_with({
            let mut options = SolveOptions::default();
            options.node_limit = Some(node_limit);
            options
        })
        .map_err(|e| PlanError::Solver(e.to_string()))?;
    let optimal = outcome.is_optimal();
    // Stopped at the node limit before any plan was found, the whole day at the peak (below)
    // is the plan, with the bound the search reached.
    let (mut licenses, bound): (Vec<ProposedLicense>, Option<f64>) = match outcome.into_solution() {
        Ok(solution) => (
            windows
                .iter()
                .zip(&vars)
                .filter_map(|(&(start, quarters, weekdays), &(seats, _))| {
                    let seats = solution.var_value(seats).round();
                    (seats >= 1.0).then_some(ProposedLicense {
                        start,
                        quarters,
                        seats: seats as u32,
                        weekdays,
                    })
                })
                .collect(),
            solution.stats().best_bound,
        ),
        Err(interrupted) => (vec![baseline.clone()], interrupted.stats().best_bound),
    };
    licenses.sort_by_key(|l| (l.start, l.quarters, std::cmp::Reverse(l.weekdays)));
    // The solver works in floating point: the plan is checked in integers before it is given.
    for &(day, q, need) in &cells {
        let covered: u64 = licenses
            .iter()
            .filter(|l| covers(l, day, q))
            .map(|l| u64::from(l.seats))
            .sum();
        if covered < u64::from(need) {
            return Err(PlanError::Solver(format!(
                "the plan covers {covered} of {need} seats at {}",
                clock(q)
            )));
        }
    }
    // What the program minimises: cost first, then licenses, then lengths.
    let objective = |plan: &[ProposedLicense]| -> f64 {
        plan.iter()
            .map(|l| {
                seat_weight(l.quarters) * days_of(l.weekdays) * f64::from(l.seats)
                    + used_weight(l.quarters)
            })
            .sum()
    };
    // Stopped at its node limit, the search may hold a plan dearer than the whole day at the
    // peak, which always covers: never propose more than that.
    let whole_day = [baseline.clone()];
    if !optimal && objective(&whole_day) < objective(&licenses) {
        licenses = whole_day.to_vec();
    }
    // ... nor more than the nested layers (a search stopped early often holds worse).
    if !optimal && !layered.is_empty() && objective(&layered) < objective(&licenses) {
        licenses = layered;
    }
    let optimality = if optimal {
        Optimality::Proven
    } else {
        let reached = objective(&licenses);
        Optimality::Gap(match bound {
            Some(bound) if reached > 0.0 => ((reached - bound) / reached).max(0.0),
            _ => 1.0,
        })
    };
    if licenses.len() > max_licenses {
        return Err(PlanError::Solver(format!(
            "{} licenses where at most {max_licenses} were asked for",
            licenses.len()
        )));
    }
    let cost_per_week_minor = licenses
        .iter()
        .map(|l| price_per_day(l, pricing).saturating_mul(u64::from(l.days())))
        .sum();
    let cost_per_day_minor = if licenses.iter().all(|l| l.weekdays == EVERY_DAY) {
        licenses.iter().map(|l| price_per_day(l, pricing)).sum()
    } else {
        cost_per_week_minor / 7
    };
    Ok(Plan {
        cost_per_day_minor,
        cost_per_week_minor,
        licenses,
        baseline_per_day_minor,
        candidates: windows.len(),
        optimality,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(price_minor: u64, block_hours: u32, rounding: Rounding) -> Pricing {
        Pricing {
            currency: "USD".into(),
            price_minor,
            block_hours,
            rounding,
        }
    }

    fn demand_of(slots: Vec<u32>) -> Demand {
        Demand {
            by_weekday: vec![slots.clone(); 7],
            weekly: false,
            slots,
            shifts: 0,
            not_working: 0,
            agents: 0,
        }
    }

    /// Every set of at most `k` windows on a grid of `step` quarter-hours, each with 1 to
    /// `peak` seats: the least price per day that covers `slots` (in scaled units, as the
    /// program's objective), and the fewest licenses at that price.
    fn exhaustive(slots: &[u32], pricing: &Pricing, k: usize, step: usize) -> (u64, usize) {
        let peak = *slots.iter().max().unwrap();
        let mut windows = vec![(0, QUARTERS)];
        for a in (0..QUARTERS).step_by(step) {
            for length in (step..QUARTERS).step_by(step) {
                windows.push((a, length));
            }
        }
        struct Search<'a> {
            windows: Vec<(usize, usize)>,
            chosen: Vec<(usize, usize, u32)>,
            k: usize,
            peak: u32,
            slots: &'a [u32],
            pricing: &'a Pricing,
            best: (u64, usize),
        }
        impl Search<'_> {
            fn walk(&mut self, from: usize) {
                let covered = (0..QUARTERS).all(|q| {
                    self.chosen
                        .iter()
                        .filter(|&&(s, l, _)| window_covers(s, l, q))
                        .map(|&(_, _, n)| n)
                        .sum::<u32>()
                        >= self.slots[q]
                });
                if covered {
                    let cost: u64 = self
                        .chosen
                        .iter()
                        .map(|&(_, l, n)| scaled_price(l, self.pricing) * u64::from(n))
                        .sum();
                    self.best = self.best.min((cost, self.chosen.len()));
                    return;
                }
                if self.chosen.len() == self.k {
                    return;
                }
                for i in from..self.windows.len() {
                    for seats in 1..=self.peak {
                        let (start, length) = self.windows[i];
                        self.chosen.push((start, length, seats));
                        self.walk(i + 1);
                        self.chosen.pop();
                    }
                }
            }
        }
        let mut search = Search {
            windows,
            chosen: Vec::new(),
            k,
            peak,
            slots,
            pricing,
            best: (u64::MAX, usize::MAX),
        };
        search.walk(0);
        search.best
    }

    fn objective(plan: &Plan, pricing: &Pricing) -> (u64, usize) {
        (
            plan.licenses
                .iter()
                .map(|l| scaled_price(l.quarters, pricing) * u64::from(l.seats))
                .sum(),
            plan.licenses.len(),
        )
    }

    #[test]
    fn the_briefs_bpo_costs_1750_against_3000_in_three_licenses() {
        let mut slots = vec![100; 32];
        slots.extend(vec![200; 32]);
        slots.extend(vec![50; 32]);
        for rounding in [Rounding::ProRata, Rounding::WholeBlocks] {
            let pricing = usd(500, 8, rounding);
            let plan = plan(&demand_of(slots.clone()), &pricing, 3).unwrap();
            assert_eq!(plan.cost_per_day_minor, 175_000, "{rounding:?}");
            assert_eq!(plan.baseline_per_day_minor, 300_000);
            assert_eq!(plan.optimality, Optimality::Proven);
            let windows: Vec<(String, String, u32)> = plan
                .licenses
                .iter()
                .map(|l| (l.daily_start(), l.daily_end(), l.seats))
                .collect();
            assert_eq!(
                windows,
                [
                    ("00:00".into(), "08:00".into(), 100),
                    ("08:00".into(), "16:00".into(), 200),
                    ("16:00".into(), "24:00".into(), 50)
                ]
            );
        }
        // With one license only, the whole day at the peak is all there is.
        let one = plan(&demand_of(slots), &usd(500, 8, Rounding::ProRata), 1).unwrap();
        assert_eq!(one.cost_per_day_minor, 300_000);
        assert_eq!(one.licenses.len(), 1);
    }

    fn weekly(rows: Vec<Vec<u32>>) -> Demand {
        let slots = (0..QUARTERS)
            .map(|q| rows.iter().map(|r| r[q]).max().unwrap())
            .collect();
        Demand {
            slots,
            by_weekday: rows,
            weekly: true,
            shifts: 0,
            not_working: 0,
            agents: 0,
        }
    }

    /// An office open 09:00-17:00 on weekdays with 10 agents and closed at weekends: one
    /// Monday-to-Friday license, 5 days of 7 of an every-day one's cost.
    #[test]
    fn weekdays_alone_get_a_monday_to_friday_license() {
        let day = |n: u32| -> Vec<u32> {
            (0..QUARTERS)
                .map(|q| if (36..68).contains(&q) { n } else { 0 })
                .collect()
        };
        let rows = vec![day(10), day(10), day(10), day(10), day(10), day(0), day(0)];
        let pricing = usd(500, 8, Rounding::ProRata);
        let made = plan(&weekly(rows), &pricing, 3).unwrap();
        assert_eq!(made.optimality, Optimality::Proven);
        assert_eq!(made.licenses.len(), 1);
        let l = &made.licenses[0];
        assert_eq!(
            (l.daily_start(), l.daily_end(), l.seats, l.days_text()),
            ("09:00".into(), "17:00".into(), 10, "Mon-Fri".to_string())
        );
        assert_eq!(
            l.weekday_names().unwrap(),
            ["Mon", "Tue", "Wed", "Thu", "Fri"]
        );
        assert_eq!(made.cost_per_week_minor, 5 * 10 * 500);
        assert_eq!(made.cost_per_day_minor, 5 * 10 * 500 / 7);
        // Planned as every day alike (a roster shorter than a week), it costs 7 days.
        let mut alike = weekly(vec![day(10); 7]);
        alike.weekly = false;
        assert_eq!(
            plan(&alike, &pricing, 3).unwrap().cost_per_week_minor,
            7 * 10 * 500
        );
    }

    /// Weekdays that differ by one seat in one quarter-hour: weekday licenses could save far
    /// under [`WEEKDAY_GAIN`], so the every-day plan is given, not called proven, with its gap
    /// to what weekday licenses might reach.
    #[test]
    fn weekdays_that_barely_differ_keep_the_every_day_plan_and_say_its_gap() {
        let mut rows = vec![vec![10u32; QUARTERS]; 7];
        rows[2][40] = 11;
        let made = plan(&weekly(rows), &usd(500, 8, Rounding::ProRata), 3).unwrap();
        assert!(made.licenses.iter().all(|l| l.weekdays == EVERY_DAY));
        match made.optimality {
            Optimality::Gap(g) => assert!(g > 0.0 && g < WEEKDAY_GAIN, "{g}"),
            Optimality::Proven => panic!("called proven"),
        }
    }

    /// A night shift from Monday to Friday (22:00-06:00) covers Tuesday's to Saturday's first
    /// hours: one window across midnight opening Monday to Friday, and Saturday morning needs
    /// no Saturday license (the Friday night's window covers it), nor Monday morning one.
    #[test]
    fn weeknight_shifts_open_on_the_evening_and_cover_the_next_morning() {
        let mut rows = vec![vec![0u32; QUARTERS]; 7];
        for day in 0..5 {
            rows[day][88..].fill(3);
            rows[day + 1][..24].fill(3);
        }
        let made = plan(&weekly(rows), &usd(500, 8, Rounding::ProRata), 3).unwrap();
        assert_eq!(made.optimality, Optimality::Proven);
        let got: Vec<(String, String, u32, String)> = made
            .licenses
            .iter()
            .map(|l| (l.daily_start(), l.daily_end(), l.seats, l.days_text()))
            .collect();
        assert_eq!(got, [("22:00".into(), "06:00".into(), 3, "Mon-Fri".into())]);
        assert_eq!(made.cost_per_week_minor, 5 * 3 * 500);
    }

    /// Every set of at most `k` licenses with windows on a grid of `step` quarter-hours, the
    /// weekday masks of [`MASKS`] and 1 to `peak` seats: the least price per week covering
    /// each weekday's demand (in scaled units), and the fewest licenses at that price.
    fn exhaustive_weekly(
        rows: &[Vec<u32>],
        pricing: &Pricing,
        k: usize,
        step: usize,
    ) -> (u64, usize) {
        let peak = rows.iter().flatten().copied().max().unwrap();
        let mut licenses = Vec::new();
        let mut windows = vec![(0, QUARTERS)];
        for a in (0..QUARTERS).step_by(step) {
            for length in (step..QUARTERS).step_by(step) {
                windows.push((a, length));
            }
        }
        for &(start, quarters) in &windows {
            for &mask in &MASKS {
                licenses.push((start, quarters, mask));
            }
        }
        // The demand is constant on the grid: one quarter-hour per step and weekday decides.
        let cells: Vec<(usize, usize)> = (0..7)
            .flat_map(|d| (0..QUARTERS).step_by(step).map(move |q| (d, q)))
            .collect();
        struct Search<'a> {
            licenses: Vec<(usize, usize, u8)>,
            cells: Vec<(usize, usize)>,
            chosen: Vec<(usize, usize, u8, u32)>,
            k: usize,
            peak: u32,
            rows: &'a [Vec<u32>],
            pricing: &'a Pricing,
            best: (u64, usize),
        }
        impl Search<'_> {
            fn walk(&mut self, from: usize) {
                let covered = self.cells.iter().all(|&(d, q)| {
                    self.chosen
                        .iter()
                        .filter(|&&(s, l, m, _)| mask_covers(s, l, m, d, q))
                        .map(|&(_, _, _, n)| n)
                        .sum::<u32>()
                        >= self.rows[d][q]
                });
                if covered {
                    let cost: u64 = self
                        .chosen
                        .iter()
                        .map(|&(_, l, m, n)| {
                            scaled_price(l, self.pricing) * u64::from(n) * u64::from(m.count_ones())
                        })
                        .sum();
                    self.best = self.best.min((cost, self.chosen.len()));
                    return;
                }
                if self.chosen.len() == self.k {
                    return;
                }
                for i in from..self.licenses.len() {
                    let (s, l, m) = self.licenses[i];
                    for n in 1..=self.peak {
                        self.chosen.push((s, l, m, n));
                        self.walk(i + 1);
                        self.chosen.pop();
                    }
                }
            }
        }
        let mut search = Search {
            licenses,
            cells,
            chosen: Vec::new(),
            k,
            peak,
            rows,
            pricing,
            best: (u64::MAX, usize::MAX),
        };
        search.walk(0);
        search.best
    }

    /// 200 random weeks (each weekday's demand constant on 6-hour blocks, at most 2 seats, often
    /// the same on weekdays, often nothing at weekends), at most 2 licenses: the plan's price per
    /// week equals the exhaustive search's over every window on the 6-hour grid and every mask
    /// of [`MASKS`], with as few licenses.
    #[test]
    fn weekly_plans_cost_what_an_exhaustive_search_finds() {
        let mut random = Lcg(29);
        let pricing = usd(300, 8, Rounding::ProRata);
        let mut compared = 0;
        for case in 0..200 {
            let block = |random: &mut Lcg| -> Vec<u32> {
                let mut row = Vec::with_capacity(QUARTERS);
                for _ in 0..4 {
                    let n = random.next(3) as u32;
                    row.extend(std::iter::repeat_n(n, 24));
                }
                row
            };
            let weekday = block(&mut random);
            let rows: Vec<Vec<u32>> = (0..7)
                .map(|d| {
                    if d >= 5 && random.next(2) == 0 {
                        vec![0; QUARTERS]
                    } else if d < 5 && random.next(3) != 0 {
                        weekday.clone()
                    } else {
                        block(&mut random)
                    }
                })
                .collect();
            if rows.iter().flatten().all(|&n| n == 0) {
                continue;
            }
            let made = plan(&weekly(rows.clone()), &pricing, 2).unwrap();
            let oracle = exhaustive_weekly(&rows, &pricing, 2, 24);
            if oracle.0 == u64::MAX {
                // Two licenses cannot cover it; the planner must still cover it with two.
                continue;
            }
            let cost: u64 = made
                .licenses
                .iter()
                .map(|l| {
                    scaled_price(l.quarters, &pricing) * u64::from(l.seats) * u64::from(l.days())
                })
                .sum();
            assert!(matches!(made.optimality, Optimality::Proven), "case {case}");
            compared += 1;
            assert_eq!(
                (cost, made.licenses.len()),
                oracle,
                "case {case}: {rows:?} -> {:?}",
                made.licenses
            );
        }
        // Most weeks are within two licenses' reach; the rest still got a covering plan.
        assert!(compared >= 100, "only {compared} weeks compared");
    }

    #[test]
    fn a_night_shift_is_one_window_across_midnight() {
        let slots: Vec<u32> = (0..QUARTERS)
            .map(|q| if !(24..88).contains(&q) { 7 } else { 0 })
            .collect();
        let plan = plan(&demand_of(slots), &usd(500, 8, Rounding::ProRata), 3).unwrap();
        assert_eq!(plan.licenses.len(), 1);
        let l = &plan.licenses[0];
        assert_eq!(
            (l.daily_start(), l.daily_end(), l.seats),
            ("22:00".into(), "06:00".into(), 7)
        );
        assert_eq!(plan.cost_per_day_minor, 7 * 500);
    }

    #[test]
    fn bad_requests_are_typed() {
        let d = demand_of(vec![1; QUARTERS]);
        let p = usd(500, 8, Rounding::ProRata);
        assert_eq!(plan(&d, &p, 0), Err(PlanError::MaxLicenses(0)));
        assert_eq!(plan(&d, &p, 21), Err(PlanError::MaxLicenses(21)));
        assert!(matches!(
            plan(&demand_of(vec![1; 5]), &p, 3),
            Err(PlanError::Demand(_))
        ));
        let empty = plan(&demand_of(vec![0; QUARTERS]), &p, 3).unwrap();
        assert!(empty.licenses.is_empty());
    }

    /// 24 changes of demand (553 candidate windows): the node limit stops the search; the plan
    /// still covers every quarter-hour, and the gap says how far from proven it may be. The
    /// limit counts nodes, so the same plan comes out on any machine.
    #[test]
    fn a_large_plan_stops_at_the_node_limit_covering_everything_and_saying_its_gap() {
        let mut random = Lcg(11);
        let mut level = 0;
        let slots: Vec<u32> = (0..QUARTERS)
            .map(|q| {
                if q % 4 == 0 {
                    level = 50 + random.next(400) as u32;
                }
                level
            })
            .collect();
        let d = demand_of(slots.clone());
        let pricing = usd(500, 8, Rounding::ProRata);
        let made = plan_within(&d, &pricing, 3, 200).unwrap();
        assert!(
            matches!(made.optimality, Optimality::Gap(g) if g > 0.0 && g < 1.0),
            "{:?}",
            made.optimality
        );
        assert!(made.licenses.len() <= 3);
        for (q, &need) in slots.iter().enumerate() {
            let covered: u32 = made
                .licenses
                .iter()
                .filter(|l| l.covers(q))
                .map(|l| l.seats)
                .sum();
            assert!(covered >= need, "{q}: {covered} < {need}");
        }
        assert_eq!(
            made,
            plan_within(&d, &pricing, 3, 200).unwrap(),
            "the same plan again"
        );
        // Never dearer than the nested layers, nor than the whole day at the peak.
        let layered: u64 = nested_layers(&slots, &pricing, 3)
            .iter()
            .map(|l| price_per_day(l, &pricing))
            .sum();
        assert!(made.cost_per_day_minor <= layered && layered < made.baseline_per_day_minor);
    }

    #[test]
    fn nested_layers_cover_the_demand_around_midnight_too() {
        // Night 22:00-06:00 needs 7, the evening 18:00-22:00 needs 3, the day nothing.
        let slots: Vec<u32> = (0..QUARTERS)
            .map(|q| match q {
                0..24 | 88..96 => 7,
                72..88 => 3,
                _ => 0,
            })
            .collect();
        let pricing = usd(500, 8, Rounding::ProRata);
        let layers = nested_layers(&slots, &pricing, 2);
        for (q, &need) in slots.iter().enumerate() {
            let covered: u32 = layers.iter().filter(|l| l.covers(q)).map(|l| l.seats).sum();
            assert!(covered >= need, "{q}: {covered} < {need}");
        }
        let windows: Vec<(String, String, u32)> = layers
            .iter()
            .map(|l| (l.daily_start(), l.daily_end(), l.seats))
            .collect();
        assert_eq!(
            windows,
            [
                ("18:00".into(), "06:00".into(), 3),
                ("22:00".into(), "06:00".into(), 4)
            ]
        );
    }

    /// A small deterministic generator, so the instances are the same on every run.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % below
        }
    }

    /// 240 random instances: demand 0 to 3 seats, constant over 3-hour stretches; at most 1 or
    /// 2 licenses; blocks of 3, 6, 12 or 24 hours (on the grid); both roundings; each of the 16
    /// combinations 15 times. The exhaustive
    /// search tries every window on the 3-hour grid with 1 to 3 seats each.
    #[test]
    fn plans_cost_what_an_exhaustive_search_finds_on_240_small_instances() {
        let mut random = Lcg(7);
        let mut checked = 0;
        for i in 0..240 {
            let stretch: Vec<u32> = (0..8).map(|_| random.next(4) as u32).collect();
            if stretch.iter().all(|&s| s == 0) {
                continue;
            }
            let slots: Vec<u32> = (0..QUARTERS).map(|q| stretch[q / 12]).collect();
            // Each combination of rounding, license count and block length comes up 15 times.
            let block = [3, 6, 12, 24][(i / 4) % 4];
            let rounding = if i % 2 == 0 {
                Rounding::ProRata
            } else {
                Rounding::WholeBlocks
            };
            let pricing = usd(100 + random.next(900), block, rounding);
            let k = 1 + (i / 2) % 2;
            let made = plan(&demand_of(slots.clone()), &pricing, k).unwrap();
            assert_eq!(made.optimality, Optimality::Proven);
            assert_eq!(
                objective(&made, &pricing),
                exhaustive(&slots, &pricing, k, 12),
                "instance {i}: {stretch:?}, {block} h blocks, {rounding:?}, {k} licenses: {:?}",
                made.licenses
            );
            checked += 1;
        }
        assert!(checked >= 200, "{checked} instances checked");
    }
}
