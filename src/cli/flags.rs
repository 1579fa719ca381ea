//! The algorithms' flags, generated from the registry: every declared parameter becomes
//! a `--flag` (shared by the algorithms that declare the same name), parsed into the
//! chosen algorithm's [`ParamValues`]. The mapping from parameter names to flags lives
//! here and nowhere else.

use std::collections::BTreeMap;

use clap::builder::PossibleValue;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};
use serde_json::Value;

use crate::cluster::params::{ParamKind, ParamSpec, ParamValues, ParamsError, real};
use crate::cluster::{AlgorithmInfo, infos};

/// The flag of parameter `name`, without the dashes: `min_points` → `min-points`, with
/// the few short spellings the command line has always used.
pub fn flag_of(name: &str) -> String {
    match name {
        "n_clusters" => "k".into(),
        "max_iterations" => "max-iter".into(),
        "tolerance" => "tol".into(),
        other => other.replace('_', "-"),
    }
}

/// A parameter error in command-line terms: names become flags (`--k (n_clusters)` when
/// the flag is spelled differently and names the message's subject), suggestions become
/// `--flag value`.
pub fn render_params_error(error: &ParamsError) -> String {
    error.render(|name, value, at_start| {
        let flag = flag_of(name);
        match value {
            Some(value) => format!("--{flag} {value}"),
            None if at_start && flag != name.replace('_', "-") => format!("--{flag} ({name})"),
            None => format!("--{flag}"),
        }
    })
}

/// One generated flag: the parameters of every algorithm that declares it.
struct Flag {
    name: String,
    specs: Vec<(&'static AlgorithmInfo, &'static ParamSpec)>,
}

impl Flag {
    /// How clap parses it: the declared type when every algorithm agrees on it.
    fn arg(&self) -> Arg {
        let (_, first) = self.specs[0];
        let users: Vec<&str> = self.specs.iter().map(|(info, _)| info.id).collect();
        let help = format!("{} [{}]", first.help, users.join(", "));
        let arg = Arg::new(self.name.clone())
            .long(self.name.clone())
            .help(help)
            .required(false);
        let same_kind = self
            .specs
            .iter()
            .all(|(_, s)| std::mem::discriminant(&s.kind) == std::mem::discriminant(&first.kind));
        if !same_kind {
            return arg.action(ArgAction::Set).allow_negative_numbers(true);
        }
        match first.kind {
            // Hyphenated values reach the parser, so `-3` and `-inf` get a message about the
            // value rather than about an unknown flag.
            ParamKind::Count { .. } | ParamKind::Seed => arg
                .action(ArgAction::Set)
                .value_name("N")
                .allow_hyphen_values(true)
                .value_parser(clap::value_parser!(u64)),
            ParamKind::Real { .. } => arg
                .action(ArgAction::Set)
                .value_name("X")
                .allow_hyphen_values(true)
                .value_parser(clap::value_parser!(f64)),
            ParamKind::Choice { .. } => {
                let mut values: Vec<&'static str> = Vec::new();
                for (_, spec) in &self.specs {
                    if let ParamKind::Choice { choices } = spec.kind {
                        for choice in choices {
                            if !values.contains(&choice.value) {
                                values.push(choice.value);
                            }
                        }
                    }
                }
                arg.action(ArgAction::Set)
                    .value_name(first.name.to_uppercase())
                    .value_parser(
                        values
                            .into_iter()
                            .map(PossibleValue::new)
                            .collect::<Vec<_>>(),
                    )
            }
            // `--flag` alone is true; `--flag false` turns a default-on switch off.
            ParamKind::Switch => arg
                .action(ArgAction::Set)
                .value_name("BOOL")
                .num_args(0..=1)
                .default_missing_value("true")
                .value_parser(clap::value_parser!(bool)),
        }
    }

    /// The value given for it, as `spec` stores it; None when not given.
    fn value(&self, matches: &ArgMatches, spec: &ParamSpec) -> Result<Option<Value>, String> {
        let id = self.name.as_str();
        if matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            return Ok(None);
        }
        let text = || {
            matches
                .get_raw(id)
                .and_then(|mut values| values.next())
                .map(|v| v.to_string_lossy().to_string())
                .unwrap_or_default()
        };
        let invalid =
            |expected: &str| format!("invalid value '{}' for --{id}: expected {expected}", text());
        Ok(Some(match spec.kind {
            ParamKind::Count { .. } | ParamKind::Seed => match matches.try_get_one::<u64>(id) {
                Ok(Some(v)) => Value::from(*v),
                _ => Value::from(
                    text()
                        .parse::<u64>()
                        .map_err(|_| invalid("a whole number"))?,
                ),
            },
            ParamKind::Real { .. } => match matches.try_get_one::<f64>(id) {
                Ok(Some(v)) => real::to_value(*v),
                _ => real::to_value(text().parse::<f64>().map_err(|_| invalid("a number"))?),
            },
            ParamKind::Choice { .. } => Value::from(text()),
            ParamKind::Switch => Value::from(
                matches
                    .get_one::<bool>(id)
                    .copied()
                    .ok_or_else(|| invalid("true or false"))?,
            ),
        }))
    }
}

/// Every algorithm flag, by flag name, skipping those a subcommand defines itself.
fn flags(skip: &[&str]) -> Vec<Flag> {
    let mut by_name: BTreeMap<String, Flag> = BTreeMap::new();
    for info in infos() {
        for spec in info.parameters {
            let name = flag_of(spec.name);
            if skip.contains(&name.as_str()) {
                continue;
            }
            by_name
                .entry(name.clone())
                .or_insert_with(|| Flag {
                    name,
                    specs: Vec::new(),
                })
                .specs
                .push((info, spec));
        }
    }
    by_name.into_values().collect()
}

/// What the command line gave for algorithm flags.
#[derive(Clone, Debug, Default)]
pub struct GivenFlags {
    /// Values by flag name, for each algorithm that has the flag (kept as matches until
    /// the algorithm is known).
    matches: Option<ArgMatches>,
    skip: &'static [&'static str],
}

impl GivenFlags {
    /// The values `algorithm` takes from the flags given, and the flags it does not have.
    pub fn values_for(
        &self,
        algorithm: &AlgorithmInfo,
    ) -> anyhow::Result<(ParamValues, Vec<String>)> {
        let mut values = ParamValues::new();
        let mut unused = Vec::new();
        let Some(matches) = &self.matches else {
            return Ok((values, unused));
        };
        for flag in flags(self.skip) {
            let own = flag.specs.iter().find(|(info, _)| info.id == algorithm.id);
            match own {
                Some((_, spec)) => {
                    if let Some(value) = flag.value(matches, spec).map_err(anyhow::Error::msg)? {
                        values.insert(spec.name.to_string(), value);
                    }
                }
                None => {
                    if matches.value_source(&flag.name)
                        == Some(clap::parser::ValueSource::CommandLine)
                    {
                        unused.push(format!("--{}", flag.name));
                    }
                }
            }
        }
        Ok((values, unused))
    }
}

macro_rules! flags_type {
    ($(#[$doc:meta])* $name:ident, $skip:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $name(pub GivenFlags);

        impl FromArgMatches for $name {
            fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
                Ok(Self(GivenFlags {
                    matches: Some(matches.clone()),
                    skip: $skip,
                }))
            }

            fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(matches)?;
                Ok(())
            }
        }

        impl Args for $name {
            fn augment_args(command: clap::Command) -> clap::Command {
                flags($skip)
                    .iter()
                    .fold(command.next_help_heading("Algorithm parameters"), |command, flag| {
                        command.arg(flag.arg())
                    })
            }

            fn augment_args_for_update(command: clap::Command) -> clap::Command {
                Self::augment_args(command)
            }
        }
    };
}

flags_type!(
    /// `cluster`'s algorithm flags: every declared parameter.
    ClusterFlags,
    &[]
);

flags_type!(
    /// `segment`'s algorithm flags: those of the superpixel algorithms, less the ones
    /// `segment` has itself (`--k`, `--seed`, `--max-iter`, `--tol`), which it passes on.
    SegmentFlags,
    &["k", "seed", "max-iter", "tol"]
);

flags_type!(
    /// `bench run`'s algorithm flags: all but `--seed`, which seeds the data and is passed
    /// on.
    BenchFlags,
    &["seed"]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_flags_the_command_line_has_always_had() {
        assert_eq!(flag_of("n_clusters"), "k");
        assert_eq!(flag_of("max_iterations"), "max-iter");
        assert_eq!(flag_of("tolerance"), "tol");
        assert_eq!(flag_of("min_cluster_size"), "min-cluster-size");
    }

    #[test]
    fn errors_name_flags() {
        let error = ParamsError::new("n_clusters", "{n_clusters} cannot be 0");
        assert_eq!(render_params_error(&error), "--k (n_clusters) cannot be 0");
        let error = ParamsError::new("eps", "{eps} must be positive");
        assert_eq!(render_params_error(&error), "--eps must be positive");
        let error = ParamsError::new("linkage", "too big; use {linkage=ward}");
        assert_eq!(render_params_error(&error), "too big; use --linkage ward");
    }

    #[test]
    fn every_flag_of_one_name_has_one_kind_or_is_parsed_as_text() {
        // Generating the flags must not panic (clap refuses duplicate ids).
        let command = ClusterFlags::augment_args(clap::Command::new("test"));
        command.debug_assert();
    }
}
