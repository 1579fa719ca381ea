//! Parameters as data. Each algorithm declares its parameters once, as [`ParamSpec`]s
//! (name, type, default, range or choices, one-line help); the command-line flags, the
//! window's widgets, the saved settings and `clusterscope algorithms` are all built from
//! those declarations. Values travel as [`ParamValues`] (JSON objects keyed by parameter
//! name) and become an algorithm's typed, serde params by deserialisation.
//!
//! Range and choice rules are checked here, from the declarations, so an algorithm's own
//! check only adds what involves several fields or the row count.

use serde::Serialize;
use serde_json::Value;

/// Parameter values keyed by parameter name. Reals that are not finite are stored as the
/// strings "inf", "-inf" and "nan" (JSON has no such numbers).
pub type ParamValues = serde_json::Map<String, Value>;

/// A constant value in a declaration (a default, a window start).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Literal {
    Count(u64),
    Real(f64),
    Choice(&'static str),
    Switch(bool),
}

impl Literal {
    /// The value as stored in [`ParamValues`].
    pub fn to_value(self) -> Value {
        match self {
            Literal::Count(v) => Value::from(v),
            Literal::Real(v) => real::to_value(v),
            Literal::Choice(v) => Value::from(v),
            Literal::Switch(v) => Value::from(v),
        }
    }
}

/// One allowed value of a choice parameter.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Choice {
    pub value: &'static str,
    pub help: &'static str,
}

/// Bounds of a real parameter; `max` may be infinite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RealRange {
    #[serde(with = "real")]
    pub min: f64,
    pub min_inclusive: bool,
    #[serde(with = "real")]
    pub max: f64,
    pub max_inclusive: bool,
}

impl RealRange {
    /// (0, ∞): a positive finite number.
    pub const POSITIVE: Self = Self {
        min: 0.0,
        min_inclusive: false,
        max: f64::INFINITY,
        max_inclusive: false,
    };
    /// [0, ∞): a finite number ≥ 0.
    pub const NON_NEGATIVE: Self = Self {
        min: 0.0,
        min_inclusive: true,
        max: f64::INFINITY,
        max_inclusive: false,
    };
    /// (0, ∞]: positive, infinity allowed (no limit).
    pub const POSITIVE_OR_INFINITE: Self = Self {
        min: 0.0,
        min_inclusive: false,
        max: f64::INFINITY,
        max_inclusive: true,
    };
    /// (0, 1).
    pub const OPEN_UNIT: Self = Self {
        min: 0.0,
        min_inclusive: false,
        max: 1.0,
        max_inclusive: false,
    };

    pub fn contains(&self, v: f64) -> bool {
        let above = if self.min_inclusive {
            v >= self.min
        } else {
            v > self.min
        };
        let below = if self.max_inclusive {
            v <= self.max
        } else {
            v < self.max
        };
        above && below
    }

    /// What a value must be, in words ("must be a positive finite number").
    fn requirement(&self) -> String {
        let unbounded = self.max == f64::INFINITY;
        match (self.min, self.min_inclusive, unbounded, self.max_inclusive) {
            (0.0, false, true, false) => "must be a positive finite number".into(),
            (0.0, true, true, false) => "must be a finite number >= 0".into(),
            (0.0, false, true, true) => "must be positive (or inf)".into(),
            (min, false, false, false) => {
                format!("must lie strictly between {min} and {}", self.max)
            }
            _ => format!(
                "must lie in {}{}, {}{}",
                if self.min_inclusive { "[" } else { "(" },
                self.min,
                self.max,
                if self.max_inclusive { "]" } else { ")" }
            ),
        }
    }
}

/// The type of a parameter and its rules.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParamKind {
    /// A whole number in `min..=max`; `slider` is the range the window's slider spans.
    Count {
        min: u64,
        max: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        slider: Option<(u64, u64)>,
    },
    /// A real number in `range`.
    Real { range: RealRange },
    /// One of a fixed list of words.
    Choice { choices: &'static [Choice] },
    /// A random seed (any u64).
    Seed,
    /// On or off.
    Switch,
}

/// Whether a parameter has a value when none is given.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "presence", content = "value", rename_all = "lowercase")]
pub enum Presence {
    /// This value.
    Default(Literal),
    /// None (null): the algorithm decides, as its help says. The window offers a checkbox
    /// that starts the value at the literal.
    Optional(Literal),
    /// The command line must give it (or a parameter that replaces it); the window starts
    /// at the literal.
    Required(Literal),
}

/// The one declaration of a parameter.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ParamSpec {
    /// The field name in the typed params and in saved files ("min_points").
    pub name: &'static str,
    #[serde(flatten)]
    pub kind: ParamKind,
    #[serde(flatten)]
    pub presence: Presence,
    /// One line for `--help`, tooltips and `clusterscope algorithms`.
    pub help: &'static str,
    /// The parameter this one is an alternative to: giving this one clears that one
    /// (`distance` replaces `n_clusters`: a tree is cut by height instead of count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<&'static str>,
    /// Where the window starts when that differs from the default (values that suit
    /// interactive exploration, e.g. a larger minimum cluster size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<Literal>,
}

impl ParamSpec {
    /// A whole number ≥ 1 with a default.
    pub const fn count(name: &'static str, default: u64, help: &'static str) -> Self {
        Self::new(
            name,
            ParamKind::Count {
                min: 1,
                max: u64::MAX,
                slider: None,
            },
            Presence::Default(Literal::Count(default)),
            help,
        )
    }

    /// A real number in `range` with a default.
    pub const fn real(
        name: &'static str,
        default: f64,
        range: RealRange,
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            ParamKind::Real { range },
            Presence::Default(Literal::Real(default)),
            help,
        )
    }

    /// One of `choices`, `default` when not given.
    pub const fn choice(
        name: &'static str,
        default: &'static str,
        choices: &'static [Choice],
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            ParamKind::Choice { choices },
            Presence::Default(Literal::Choice(default)),
            help,
        )
    }

    /// On or off, off unless given (`--flag` or `--flag true|false`).
    pub const fn switch(name: &'static str, help: &'static str) -> Self {
        Self::new(
            name,
            ParamKind::Switch,
            Presence::Default(Literal::Switch(false)),
            help,
        )
    }

    /// On or off, on unless given (`--flag false` turns it off).
    pub const fn switch_on(name: &'static str, help: &'static str) -> Self {
        Self::new(
            name,
            ParamKind::Switch,
            Presence::Default(Literal::Switch(true)),
            help,
        )
    }

    /// The random seed, 42 unless given.
    pub const fn seed() -> Self {
        Self::new(
            "seed",
            ParamKind::Seed,
            Presence::Default(Literal::Count(42)),
            "random seed: the same seed gives the same result",
        )
    }

    const fn new(
        name: &'static str,
        kind: ParamKind,
        presence: Presence,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            presence,
            help,
            replaces: None,
            window_start: None,
        }
    }

    /// Counts: the smallest allowed value.
    pub const fn at_least(mut self, min: u64) -> Self {
        if let ParamKind::Count { max, slider, .. } = self.kind {
            self.kind = ParamKind::Count { min, max, slider };
        }
        self
    }

    /// Counts: the range the window's slider spans (typed values may go beyond it).
    pub const fn slider(mut self, low: u64, high: u64) -> Self {
        if let ParamKind::Count { min, max, .. } = self.kind {
            self.kind = ParamKind::Count {
                min,
                max,
                slider: Some((low, high)),
            };
        }
        self
    }

    /// No default: null unless given; the window starts it at the declared value when
    /// ticked.
    pub const fn optional(mut self) -> Self {
        if let Presence::Default(start) = self.presence {
            self.presence = Presence::Optional(start);
        }
        self
    }

    /// No default: the command line must give it; the window starts at the declared
    /// value.
    pub const fn required(mut self) -> Self {
        if let Presence::Default(start) = self.presence {
            self.presence = Presence::Required(start);
        }
        self
    }

    /// An alternative to `other`: giving this one clears that one.
    pub const fn replaces(mut self, other: &'static str) -> Self {
        self.replaces = Some(other);
        self
    }

    /// Where the window starts, when not at the default.
    pub const fn window_start(mut self, start: Literal) -> Self {
        self.window_start = Some(start);
        self
    }

    /// The value when none is given (null for optional and required parameters).
    pub fn default_value(&self) -> Value {
        match self.presence {
            Presence::Default(literal) => literal.to_value(),
            Presence::Optional(_) | Presence::Required(_) => Value::Null,
        }
    }

    /// The value the window starts with.
    pub fn window_value(&self) -> Value {
        match (self.window_start, self.presence) {
            (Some(start), _) => start.to_value(),
            (None, Presence::Default(literal) | Presence::Required(literal)) => literal.to_value(),
            (None, Presence::Optional(_)) => Value::Null,
        }
    }

    /// The value a window checkbox turns on (optional parameters).
    pub fn start_value(&self) -> Value {
        match (self.window_start, self.presence) {
            (Some(start), _) => start.to_value(),
            (None, Presence::Default(l) | Presence::Optional(l) | Presence::Required(l)) => {
                l.to_value()
            }
        }
    }

    /// Checks that a value has the declared type (a choice: one of the choices); null is
    /// allowed here.
    pub fn check_type(&self, value: &Value) -> Result<(), ParamsError> {
        let typed = match self.kind {
            ParamKind::Count { .. } | ParamKind::Seed => value.as_u64().is_some(),
            ParamKind::Real { .. } => real::from_value(value).is_some(),
            ParamKind::Choice { .. } => true,
            ParamKind::Switch => value.is_boolean(),
        };
        if value.is_null() || typed {
            return match self.kind {
                ParamKind::Choice { .. } if !value.is_null() => self.check_value(value),
                _ => Ok(()),
            };
        }
        self.check_value(value)
    }

    /// Checks one value against the declared type and rules; null is allowed here
    /// (missing required parameters are reported by [`complete`]).
    pub fn check_value(&self, value: &Value) -> Result<(), ParamsError> {
        if value.is_null() {
            return Ok(());
        }
        let name = self.name;
        let problem = |message: String| Err(ParamsError::new(name, message));
        match self.kind {
            ParamKind::Count { min, max, .. } => {
                let Some(v) = value.as_u64() else {
                    return problem(format!(
                        "{{{name}}} must be a whole number >= {min}, got {value}"
                    ));
                };
                if v < min {
                    return problem(format!("{{{name}}} must be at least {min}, got {v}"));
                }
                if v > max {
                    return problem(format!("{{{name}}} must be at most {max}, got {v}"));
                }
            }
            ParamKind::Real { range } => {
                let Some(v) = real::from_value(value) else {
                    return problem(format!("{{{name}}} must be a number, got {value}"));
                };
                if !range.contains(v) {
                    return problem(format!("{{{name}}} {}, got {v}", range.requirement()));
                }
            }
            ParamKind::Choice { choices } => {
                let given = value.as_str();
                if !choices.iter().any(|c| Some(c.value) == given) {
                    let allowed: Vec<&str> = choices.iter().map(|c| c.value).collect();
                    return problem(format!(
                        "{{{name}}} must be one of {}, got {value}",
                        allowed.join(", ")
                    ));
                }
            }
            ParamKind::Seed => {
                if value.as_u64().is_none() {
                    return problem(format!("{{{name}}} must be a whole number, got {value}"));
                }
            }
            ParamKind::Switch => {
                if !value.is_boolean() {
                    return problem(format!("{{{name}}} must be true or false, got {value}"));
                }
            }
        }
        Ok(())
    }
}

/// A bad parameter: the field it is about and a lowercase message in which parameter
/// names appear as `{name}` (or `{name=value}` for a suggested setting), so that each
/// front end can spell them its own way: the command line as flags, the window as labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsError {
    pub field: &'static str,
    pub message: String,
}

impl ParamsError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The message with each `{name}` or `{name=value}` replaced by `spell(name, value,
    /// at_start)`; `at_start` is true for a name that opens the message (its subject).
    pub fn render(&self, spell: impl Fn(&str, Option<&str>, bool) -> String) -> String {
        let mut out = String::with_capacity(self.message.len() + 16);
        let mut rest = self.message.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            out.push_str(&rest[..open]);
            let token = &rest[open + 1..open + close];
            let (name, value) = match token.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (token, None),
            };
            out.push_str(&spell(name, value, out.is_empty()));
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }
}

impl std::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.render(|name, value, _| match value {
            Some(value) => format!("{name} = {value}"),
            None => name.to_string(),
        });
        f.write_str(&text)
    }
}

impl std::error::Error for ParamsError {}

/// Fills what `given` leaves out with the declared defaults, clears parameters that a
/// given alternative replaces, and checks every value's type and that required ones are
/// there. Ranges are checked by [`check_declared`], which each algorithm's own check calls
/// first (so that an algorithm may word one of its rules its own way by checking it
/// before). `algorithm` names the algorithm in the message for a missing value.
pub fn complete(
    algorithm: &str,
    specs: &[ParamSpec],
    given: &ParamValues,
) -> Result<ParamValues, ParamsError> {
    if let Some(unknown) = given
        .keys()
        .find(|k| !specs.iter().any(|s| s.name == k.as_str()))
    {
        let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
        return Err(ParamsError::new(
            specs.first().map_or("", |s| s.name),
            format!(
                "{algorithm} has no parameter '{unknown}' (it has {})",
                known.join(", ")
            ),
        ));
    }
    let is_given = |name: &str| given.get(name).is_some_and(|v| !v.is_null());
    for spec in specs {
        if let Some(other) = spec.replaces
            && is_given(spec.name)
            && is_given(other)
        {
            return Err(ParamsError::new(
                spec.name,
                format!("give either {{{other}}} or {{{}}}, not both", spec.name),
            ));
        }
    }
    let mut values = ParamValues::new();
    for spec in specs {
        let replaced = specs
            .iter()
            .any(|other| other.replaces == Some(spec.name) && is_given(other.name));
        let value = match given.get(spec.name) {
            Some(value) => value.clone(),
            None if replaced => Value::Null,
            None => spec.default_value(),
        };
        spec.check_type(&value)?;
        values.insert(spec.name.to_string(), value);
    }
    for spec in specs {
        if !matches!(spec.presence, Presence::Required(_)) || !values[spec.name].is_null() {
            continue;
        }
        let alternatives: Vec<&ParamSpec> = specs
            .iter()
            .filter(|other| other.replaces == Some(spec.name))
            .collect();
        if alternatives.iter().any(|a| !values[a.name].is_null()) {
            continue;
        }
        let mut message = format!("{algorithm} needs {{{}}} {}", spec.name, value_name(spec));
        for alternative in alternatives {
            message.push_str(&format!(
                " or {{{}}} {}",
                alternative.name,
                value_name(alternative)
            ));
        }
        message.push_str(&format!(" ({})", spec.help));
        return Err(ParamsError::new(spec.name, message));
    }
    Ok(values)
}

/// The placeholder for a value in messages: N for counts, T for reals, the choices.
pub fn value_name(spec: &ParamSpec) -> String {
    match spec.kind {
        ParamKind::Count { .. } | ParamKind::Seed => "N".into(),
        ParamKind::Real { .. } => "T".into(),
        ParamKind::Choice { choices } => choices
            .iter()
            .map(|c| c.value)
            .collect::<Vec<_>>()
            .join("|"),
        ParamKind::Switch => String::new(),
    }
}

/// Serialises typed params to values (for the declaration checks and saved files).
pub fn to_values<P: Serialize>(params: &P) -> ParamValues {
    match serde_json::to_value(params) {
        Ok(Value::Object(map)) => map,
        // Params are structs of plain fields: anything else is a programming error that
        // the registry's tests catch.
        _ => ParamValues::new(),
    }
}

/// Builds typed params from complete values.
pub fn from_values<P: serde::de::DeserializeOwned>(
    algorithm: &str,
    values: &ParamValues,
) -> Result<P, ParamsError> {
    serde_json::from_value(Value::Object(values.clone()))
        .map_err(|e| ParamsError::new("", format!("{algorithm}: parameters do not fit: {e}")))
}

/// Checks typed params against their declarations (types, ranges, choices, required).
pub fn check_declared<P: Serialize>(
    algorithm: &str,
    specs: &[ParamSpec],
    params: &P,
) -> Result<(), ParamsError> {
    let values = to_values(params);
    let given: ParamValues = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let values = complete(algorithm, specs, &given)?;
    check_ranges(specs, &values)
}

/// Checks every value against its declared range.
pub fn check_ranges(specs: &[ParamSpec], values: &ParamValues) -> Result<(), ParamsError> {
    for spec in specs {
        if let Some(value) = values.get(spec.name) {
            spec.check_value(value)?;
        }
    }
    Ok(())
}

/// Reals in parameter values: finite numbers as JSON numbers, the rest as strings. Use as
/// `#[serde(with = "real")]` on `f64` fields.
pub mod real {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn to_value(v: f64) -> Value {
        if v.is_finite() {
            Value::from(v)
        } else {
            Value::from(text(v))
        }
    }

    pub fn from_value(value: &Value) -> Option<f64> {
        match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => parse(s),
            _ => None,
        }
    }

    fn text(v: f64) -> &'static str {
        if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        }
    }

    fn parse(s: &str) -> Option<f64> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            "nan" => Some(f64::NAN),
            other => other.parse().ok(),
        }
    }

    pub fn serialize<S: Serializer>(v: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            serializer.serialize_f64(*v)
        } else {
            serializer.serialize_str(text(*v))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        let value = Value::deserialize(deserializer)?;
        from_value(&value).ok_or_else(|| serde::de::Error::custom(format!("not a number: {value}")))
    }

    /// The same for `Option<f64>` (null = None).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use serde_json::Value;

        pub fn serialize<S: Serializer>(v: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => super::serialize(v, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<f64>, D::Error> {
            let value = Value::deserialize(deserializer)?;
            if value.is_null() {
                return Ok(None);
            }
            super::from_value(&value)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not a number: {value}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec::count("n_clusters", 5, "clusters").required(),
        ParamSpec::real("distance", 1.0, RealRange::NON_NEGATIVE, "cut height")
            .optional()
            .replaces("n_clusters"),
        ParamSpec::real("eps", 0.5, RealRange::POSITIVE, "radius"),
        ParamSpec::choice(
            "linkage",
            "ward",
            &[
                Choice {
                    value: "ward",
                    help: "",
                },
                Choice {
                    value: "single",
                    help: "",
                },
            ],
            "linkage",
        ),
    ];

    fn given(pairs: &[(&str, Value)]) -> ParamValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn defaults_fill_what_is_not_given() {
        let values = complete("test", SPECS, &given(&[("n_clusters", 3.into())])).unwrap();
        assert_eq!(values["n_clusters"], 3);
        assert_eq!(values["distance"], Value::Null);
        assert_eq!(values["eps"], 0.5);
        assert_eq!(values["linkage"], "ward");
    }

    #[test]
    fn a_missing_required_parameter_names_it_and_its_alternatives() {
        let error = complete("test", SPECS, &ParamValues::new()).unwrap_err();
        assert_eq!(error.field, "n_clusters");
        assert_eq!(
            error.to_string(),
            "test needs n_clusters N or distance T (clusters)"
        );
    }

    #[test]
    fn two_alternatives_at_once_are_refused() {
        let error = complete(
            "test",
            SPECS,
            &given(&[("n_clusters", 3.into()), ("distance", 2.0.into())]),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "give either n_clusters or distance, not both"
        );
    }

    #[test]
    fn an_alternative_replaces_the_required_parameter() {
        let values = complete("test", SPECS, &given(&[("distance", 2.0.into())])).unwrap();
        assert_eq!(values["n_clusters"], Value::Null);
        assert_eq!(values["distance"], 2.0);
    }

    fn checked(pairs: &[(&str, Value)]) -> Result<ParamValues, ParamsError> {
        let values = complete("test", SPECS, &given(pairs))?;
        check_ranges(SPECS, &values).map(|()| values)
    }

    #[test]
    fn ranges_are_checked_with_the_field_named() {
        let error = checked(&[("n_clusters", 0.into())]).unwrap_err();
        assert_eq!(
            (error.field, error.to_string().as_str()),
            ("n_clusters", "n_clusters must be at least 1, got 0")
        );
        let error = checked(&[("n_clusters", 2.into()), ("eps", (-1.0).into())]).unwrap_err();
        assert_eq!(error.field, "eps");
        assert_eq!(
            error.to_string(),
            "eps must be a positive finite number, got -1"
        );
        let error = checked(&[("n_clusters", 2.into()), ("eps", "nan".into())]).unwrap_err();
        assert_eq!(error.field, "eps");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_before_ranges() {
        let error = complete("test", SPECS, &given(&[("n_clusters", "five".into())])).unwrap_err();
        assert_eq!(error.field, "n_clusters");
        assert!(error.to_string().contains("whole number"), "{error}");
    }

    #[test]
    fn choices_and_unknown_names_are_refused() {
        let error = complete(
            "test",
            SPECS,
            &given(&[("n_clusters", 2.into()), ("linkage", "median".into())]),
        )
        .unwrap_err();
        assert_eq!(error.field, "linkage");
        assert!(error.to_string().contains("one of ward, single"), "{error}");
        let error = complete("test", SPECS, &given(&[("k", 2.into())])).unwrap_err();
        assert!(error.to_string().contains("no parameter 'k'"), "{error}");
    }

    #[test]
    fn rendering_spells_names_and_suggestions() {
        let error = ParamsError::new(
            "n_clusters",
            "{n_clusters} is 9; use {linkage=single} or {distance}",
        );
        let cli = error.render(|name, value, first| match (value, first) {
            (Some(v), _) => format!("--{name} {v}"),
            (None, true) => format!("--k ({name})"),
            (None, false) => format!("--{name}"),
        });
        assert_eq!(
            cli,
            "--k (n_clusters) is 9; use --linkage single or --distance"
        );
    }

    #[test]
    fn non_finite_reals_round_trip_as_strings() {
        assert_eq!(real::to_value(f64::INFINITY), Value::from("inf"));
        assert_eq!(real::from_value(&Value::from("inf")), Some(f64::INFINITY));
        assert!(real::from_value(&Value::from("nan")).unwrap().is_nan());
        assert_eq!(real::from_value(&Value::from(0.25)), Some(0.25));
    }
}
