//! A data set as SPSS sees it: variables (name, label, value labels, user-missing values,
//! measurement level) and their columns. A numeric cell that holds no value is system-missing
//! (`f64::NAN`); user-missing values are real values the variable declares missing.

use serde::{Deserialize, Serialize};

/// SPSS's measurement levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Measure {
    Nominal,
    Ordinal,
    Scale,
}

/// A cell's value where a variable may be numeric or text (value labels, missing values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Num(f64),
    Str(String),
}

/// SPSS user-missing values: up to three discrete values, or a range, or a range and one
/// discrete value (numeric); up to three discrete values (string).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum MissingSpec {
    #[default]
    None,
    Values(Vec<Value>),
    Range {
        lo: f64,
        hi: f64,
    },
    RangeAndValue {
        lo: f64,
        hi: f64,
        value: f64,
    },
}

impl MissingSpec {
    /// Whether a numeric value is user-missing.
    pub fn is_missing_num(&self, x: f64) -> bool {
        match self {
            MissingSpec::None => false,
            MissingSpec::Values(vs) => vs.iter().any(|v| matches!(v, Value::Num(n) if *n == x)),
            MissingSpec::Range { lo, hi } => x >= *lo && x <= *hi,
            MissingSpec::RangeAndValue { lo, hi, value } => (x >= *lo && x <= *hi) || x == *value,
        }
    }

    /// Whether a string value is user-missing (SPSS compares without trailing spaces).
    pub fn is_missing_str(&self, s: &str) -> bool {
        match self {
            MissingSpec::Values(vs) => vs
                .iter()
                .any(|v| matches!(v, Value::Str(m) if m.trim_end() == s.trim_end())),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VarKind {
    Numeric,
    /// Text of at most this many bytes.
    String {
        width: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// The variable's name as procedures name it (`members_total`).
    pub name: String,
    pub label: Option<String>,
    pub kind: VarKind,
    pub value_labels: Vec<(Value, String)>,
    pub missing: MissingSpec,
    pub measure: Measure,
    /// Decimal places for display (SPSS's print format).
    pub decimals: u8,
}

impl Variable {
    pub fn numeric(name: &str) -> Self {
        Variable {
            name: name.to_string(),
            label: None,
            kind: VarKind::Numeric,
            value_labels: Vec::new(),
            missing: MissingSpec::None,
            measure: Measure::Scale,
            decimals: 2,
        }
    }

    pub fn string(name: &str, width: usize) -> Self {
        Variable {
            name: name.to_string(),
            label: None,
            kind: VarKind::String { width },
            value_labels: Vec::new(),
            missing: MissingSpec::None,
            measure: Measure::Nominal,
            decimals: 0,
        }
    }

    /// The label of a value, if the variable has one.
    pub fn value_label(&self, v: &Value) -> Option<&str> {
        self.value_labels
            .iter()
            .find(|(x, _)| x == v)
            .map(|(_, l)| l.as_str())
    }
}

/// A column of cells, one per case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Column {
    /// `f64::NAN` is system-missing.
    Num(Vec<f64>),
    Str(Vec<String>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Variables and their columns, all of the same length.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dataset {
    pub variables: Vec<Variable>,
    pub columns: Vec<Column>,
}

/// What can be wrong with a request to a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    UnknownVariable(String),
    /// The procedure needs a numeric variable.
    NotNumeric(String),
    /// Columns of different lengths, or a variable without its column.
    Shape,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataError::UnknownVariable(v) => write!(f, "unknown variable {v}"),
            DataError::NotNumeric(v) => write!(f, "variable {v} is not numeric"),
            DataError::Shape => write!(f, "columns of different lengths"),
        }
    }
}

impl std::error::Error for DataError {}

impl Dataset {
    pub fn push(&mut self, var: Variable, col: Column) {
        self.variables.push(var);
        self.columns.push(col);
    }

    /// Number of cases.
    pub fn cases(&self) -> usize {
        self.columns.first().map(Column::len).unwrap_or(0)
    }

    pub fn index(&self, name: &str) -> Result<usize, DataError> {
        self.variables
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| DataError::UnknownVariable(name.to_string()))
    }

    pub fn var(&self, name: &str) -> Result<(&Variable, &Column), DataError> {
        let i = self.index(name)?;
        let c = self.columns.get(i).ok_or(DataError::Shape)?;
        Ok((&self.variables[i], c))
    }

    /// A numeric variable's values with every missing one (system or user) as `None`.
    pub fn numeric(&self, name: &str) -> Result<(&Variable, Vec<Option<f64>>), DataError> {
        let (v, c) = self.var(name)?;
        match c {
            Column::Num(xs) => Ok((
                v,
                xs.iter()
                    .map(|&x| (!x.is_nan() && !v.missing.is_missing_num(x)).then_some(x))
                    .collect(),
            )),
            Column::Str(_) => Err(DataError::NotNumeric(name.to_string())),
        }
    }

    /// Whether case `row` of variable `i` is missing (system-missing, or user-missing).
    pub fn is_missing(&self, i: usize, row: usize) -> bool {
        let v = &self.variables[i];
        match &self.columns[i] {
            Column::Num(xs) => xs[row].is_nan() || v.missing.is_missing_num(xs[row]),
            Column::Str(ss) => v.missing.is_missing_str(&ss[row]),
        }
    }

    pub fn check(&self) -> Result<(), DataError> {
        let n = self.cases();
        if self.variables.len() != self.columns.len() || self.columns.iter().any(|c| c.len() != n) {
            return Err(DataError::Shape);
        }
        Ok(())
    }
}
