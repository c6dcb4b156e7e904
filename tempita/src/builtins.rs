//! Python builtins and the methods of str, list and dict.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use crate::error::{ErrorKind, Result, rt};
use crate::eval::{Callable, State, get_attr};
use crate::value::{Dict, Kwargs, Num, Repr, Value};
use crate::{html, looper};

const BUILTINS: &[&str] = &[
    "len",
    "str",
    "int",
    "float",
    "bool",
    "repr",
    "sorted",
    "enumerate",
    "range",
    "zip",
    "min",
    "max",
    "abs",
    "hex",
    "oct",
    "round",
    "list",
    "tuple",
    "dict",
    "sum",
    "any",
    "all",
    "reversed",
    "getattr",
    "hasattr",
    "chr",
    "ord",
    "callable",
    "isinstance",
    "map",
    "filter",
    "looper",
    "html",
    "html_quote",
    "url",
    "attr",
    "bunch",
    "divmod",
];

static TABLE: LazyLock<HashMap<&'static str, Value>> = LazyLock::new(|| {
    BUILTINS
        .iter()
        .map(|n| (*n, Value(Repr::Callable(Arc::new(Callable::Builtin(n))))))
        .collect()
});

/// A builtin by name.
pub(crate) fn lookup(name: &str) -> Option<Value> {
    TABLE.get(name).cloned()
}

fn type_err(msg: impl std::fmt::Display) -> crate::Error {
    rt(ErrorKind::Type, msg)
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("exactly {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(type_err(format!(
            "{name}() takes {want} argument(s) ({} given)",
            args.len()
        )));
    }
    Ok(())
}

fn int_arg(name: &str, v: &Value) -> Result<i64> {
    v.as_i64().ok_or_else(|| {
        type_err(format!(
            "{name}(): '{}' object cannot be interpreted as an integer",
            v.type_name()
        ))
    })
}

pub(crate) fn len_of(v: &Value) -> Result<usize> {
    Ok(match &v.0 {
        Repr::Str(s) | Repr::Markup(s) => s.chars().count(),
        Repr::List(l) | Repr::Tuple(l) => l.len(),
        Repr::Dict(d) => d.entries.len(),
        Repr::Object(o) => match o.iterate() {
            Some(items) => items.len(),
            None => {
                return Err(type_err(format!(
                    "object of type '{}' has no len()",
                    o.repr()
                )));
            }
        },
        _ => {
            return Err(type_err(format!(
                "object of type '{}' has no len()",
                v.type_name()
            )));
        }
    })
}

fn sort_values(
    st: &mut State,
    items: &mut Vec<Value>,
    key: Option<&Value>,
    reverse: bool,
) -> Result<()> {
    let keys: Vec<Value> = match key {
        Some(k) if !k.is_none() => items
            .iter()
            .map(|v| st.call(k, vec![v.clone()], Kwargs::default()))
            .collect::<Result<_>>()?,
        _ => items.clone(),
    };
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let mut error = None;
    idx.sort_by(|a, b| match keys[*a].py_cmp(&keys[*b], "<") {
        Ok(o) => {
            if reverse {
                o.reverse()
            } else {
                o
            }
        }
        Err(e) => {
            error.get_or_insert(e);
            Ordering::Equal
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    *items = idx.into_iter().map(|i| items[i].clone()).collect();
    Ok(())
}

fn min_max(st: &mut State, name: &str, args: Vec<Value>, kw: &Kwargs) -> Result<Value> {
    kw.check(name, &["key", "default"])?;
    let items: Vec<Value> = if args.len() == 1 {
        st.iterate(&args[0])?.to_vec()
    } else {
        args
    };
    let mut best: Option<(Value, Value)> = None;
    for item in items {
        let k = match kw.get("key") {
            Some(f) if !f.is_none() => st.call(f, vec![item.clone()], Kwargs::default())?,
            _ => item.clone(),
        };
        let better = match &best {
            None => true,
            Some((bk, _)) => {
                let o = k.py_cmp(bk, if name == "min" { "<" } else { ">" })?;
                if name == "min" {
                    o == Ordering::Less
                } else {
                    o == Ordering::Greater
                }
            }
        };
        if better {
            best = Some((k, item));
        }
    }
    match (best, kw.get("default")) {
        (Some((_, v)), _) => Ok(v),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(rt(
            ErrorKind::Value,
            format!("{name}() arg is an empty sequence"),
        )),
    }
}

fn parse_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim().replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_owned()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_owned()),
    };
    let lower = t.to_ascii_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    let v = i64::from_str_radix(digits, base).ok()?;
    Some(if neg { -v } else { v })
}

pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    match t.as_str() {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ if t.chars().all(|c| c.is_ascii_digit() || "+-.e_".contains(c)) => {
            t.replace('_', "").parse().ok()
        }
        _ => None,
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn round(args: &[Value]) -> Result<Value> {
    arity("round", args, 1, 2)?;
    let ndigits = match args.get(1) {
        Some(v) if !v.is_none() => Some(int_arg("round", v)?),
        _ => None,
    };
    match (args[0].as_number(), ndigits) {
        (Some(Num::Int(i)), None) => Ok(i.into()),
        (Some(Num::Int(i)), Some(n)) if n >= 0 => Ok(i.into()),
        (Some(Num::Int(i)), Some(n)) => {
            let p = 10f64.powi(i32::try_from(-n).unwrap_or(i32::MAX));
            Ok(Value::from((((i as f64) / p).round_ties_even() * p) as i64))
        }
        (Some(Num::Float(f)), None) => {
            if !f.is_finite() {
                return Err(rt(
                    ErrorKind::Overflow,
                    "cannot convert float infinity or NaN to integer",
                ));
            }
            Ok(Value::from(f.round_ties_even() as i64))
        }
        (Some(Num::Float(f)), Some(n)) if (0..=17).contains(&n) => {
            let n = usize::try_from(n).unwrap_or(0);
            Ok(format!("{f:.n$}").parse::<f64>().unwrap_or(f).into())
        }
        (Some(Num::Float(f)), Some(n)) => {
            let p = 10f64.powi(i32::try_from(n).unwrap_or(0).clamp(-308, 308));
            Ok(((f * p).round_ties_even() / p).into())
        }
        _ => Err(type_err(format!(
            "type {} doesn't define __round__ method",
            args[0].type_name()
        ))),
    }
}

/// Call builtin `name`.
#[allow(clippy::too_many_lines)]
pub(crate) fn call(st: &mut State, name: &str, args: Vec<Value>, kw: &Kwargs) -> Result<Value> {
    if !matches!(
        name,
        "sorted" | "min" | "max" | "attr" | "bunch" | "enumerate" | "dict"
    ) {
        kw.check(name, &[])?;
    }
    match name {
        "len" => {
            arity(name, &args, 1, 1)?;
            Ok(len_of(&args[0])?.into())
        }
        "str" => {
            arity(name, &args, 0, 1)?;
            match args.first() {
                Some(v) => Ok(st.str_of(v)?.into()),
                None => Ok("".into()),
            }
        }
        "repr" => {
            arity(name, &args, 1, 1)?;
            st.charge_shown(&args[0])?;
            Ok(args[0].repr().into())
        }
        "int" => {
            arity(name, &args, 0, 2)?;
            let base = match args.get(1) {
                Some(b) => u32::try_from(int_arg(name, b)?)
                    .ok()
                    .filter(|b| (2..=36).contains(b))
                    .ok_or_else(|| rt(ErrorKind::Value, "int() base must be >= 2 and <= 36"))?,
                None => 10,
            };
            let Some(v) = args.first() else {
                return Ok(0.into());
            };
            match (&v.0, v.as_number()) {
                (Repr::Str(s) | Repr::Markup(s), _) => {
                    parse_int(s, base).map(Value::from).ok_or_else(|| {
                        rt(
                            ErrorKind::Value,
                            format!("invalid literal for int() with base {base}: {}", v.repr()),
                        )
                    })
                }
                (_, Some(Num::Int(i))) => Ok(i.into()),
                #[allow(clippy::cast_possible_truncation)]
                (_, Some(Num::Float(f))) if f.is_finite() => Ok((f.trunc() as i64).into()),
                (_, Some(Num::Float(_))) => Err(rt(
                    ErrorKind::Overflow,
                    "cannot convert float infinity or NaN to integer",
                )),
                _ => Err(type_err(format!(
                    "int() argument must be a string or a number, not '{}'",
                    v.type_name()
                ))),
            }
        }
        "float" => {
            arity(name, &args, 0, 1)?;
            let Some(v) = args.first() else {
                return Ok(0.0.into());
            };
            match (&v.0, v.as_number()) {
                (Repr::Str(s), _) => parse_float(s).map(Value::from).ok_or_else(|| {
                    rt(
                        ErrorKind::Value,
                        format!("could not convert string to float: {}", v.repr()),
                    )
                }),
                (_, Some(n)) => Ok(n.as_f64().into()),
                _ => Err(type_err(format!(
                    "float() argument must be a string or a number, not '{}'",
                    v.type_name()
                ))),
            }
        }
        "bool" => {
            arity(name, &args, 0, 1)?;
            Ok(args.first().is_some_and(Value::is_true).into())
        }
        "sorted" => {
            kw.check(name, &["key", "reverse"])?;
            arity(name, &args, 1, 1)?;
            let mut items = st.iterate(&args[0])?.to_vec();
            sort_values(
                st,
                &mut items,
                kw.get("key"),
                kw.get("reverse").is_some_and(Value::is_true),
            )?;
            Ok(Value::list(items))
        }
        "map" => {
            if args.len() < 2 {
                return Err(type_err("map() must have at least two arguments."));
            }
            let seqs = args[1..]
                .iter()
                .map(|a| st.iterate(a))
                .collect::<Result<Vec<_>>>()?;
            let n = seqs.iter().map(|s| s.len()).min().unwrap_or(0);
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(st.call(
                    &args[0],
                    seqs.iter().map(|s| s[i].clone()).collect(),
                    Kwargs::default(),
                )?);
            }
            Ok(Value::list(out))
        }
        "filter" => {
            arity(name, &args, 2, 2)?;
            let mut out = Vec::new();
            for v in st.iterate(&args[1])?.iter() {
                let keep = if args[0].is_none() {
                    v.is_true()
                } else {
                    st.call(&args[0], vec![v.clone()], Kwargs::default())?
                        .is_true()
                };
                if keep {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        }
        "reversed" => {
            arity(name, &args, 1, 1)?;
            let mut items = st.iterate(&args[0])?.to_vec();
            items.reverse();
            Ok(Value::list(items))
        }
        "list" | "tuple" => {
            arity(name, &args, 0, 1)?;
            let items = match args.first() {
                Some(v) => st.iterate(v)?.to_vec(),
                None => Vec::new(),
            };
            Ok(if name == "list" {
                Value::list(items)
            } else {
                Value::tuple(items)
            })
        }
        "dict" => {
            arity(name, &args, 0, 1)?;
            let mut d = Dict::default();
            if let Some(v) = args.first() {
                if let Repr::Dict(src) = &v.0 {
                    d = (**src).clone();
                } else {
                    for pair in st.iterate(v)?.iter() {
                        let kv = st.iterate(pair)?;
                        if kv.len() != 2 {
                            return Err(rt(
                                ErrorKind::Value,
                                "dictionary update sequence element has wrong length",
                            ));
                        }
                        d.insert(kv[0].clone(), kv[1].clone());
                    }
                }
            }
            for (k, v) in kw.iter() {
                d.insert(k.into(), v.clone());
            }
            Ok(Value(Repr::Dict(Arc::new(d))))
        }
        "enumerate" => {
            kw.check(name, &["start"])?;
            arity(name, &args, 1, 2)?;
            let start = match args.get(1).or(kw.get("start")) {
                Some(v) => int_arg(name, v)?,
                None => 0,
            };
            let items = st.iterate(&args[0])?;
            Ok(Value::list(
                items
                    .iter()
                    .zip((0..).map(|k: i64| start.saturating_add(k)))
                    .map(|(v, i)| Value::tuple([i.into(), v.clone()]))
                    .collect(),
            ))
        }
        "range" => {
            arity(name, &args, 1, 3)?;
            let nums = args
                .iter()
                .map(|a| int_arg(name, a))
                .collect::<Result<Vec<_>>>()?;
            let (start, stop, step) = match nums[..] {
                [stop] => (0, stop, 1),
                [start, stop] => (start, stop, 1),
                [start, stop, step] => (start, stop, step),
                _ => unreachable!("arity checked"),
            };
            if step == 0 {
                return Err(rt(ErrorKind::Value, "range() arg 3 must not be zero"));
            }
            let (start_w, stop_w, step_w) = (i128::from(start), i128::from(stop), i128::from(step));
            let count = if step > 0 {
                (stop_w - start_w + step_w - 1) / step_w
            } else {
                (start_w - stop_w - step_w - 1) / -step_w
            };
            if count > crate::eval::MAX_SIZE as i128 {
                return Err(rt(ErrorKind::Overflow, "range() too large for a template"));
            }
            st.charge(u64::try_from(count.max(0)).unwrap_or(u64::MAX))?;
            let mut out = Vec::with_capacity(usize::try_from(count.max(0)).unwrap_or(0));
            let mut i = start;
            while (step > 0 && i < stop) || (step < 0 && i > stop) {
                out.push(Value::from(i));
                let Some(n) = i.checked_add(step) else { break };
                i = n;
            }
            Ok(Value::list(out))
        }
        "zip" => {
            let seqs = args
                .iter()
                .map(|a| st.iterate(a))
                .collect::<Result<Vec<_>>>()?;
            let n = seqs.iter().map(|s| s.len()).min().unwrap_or(0);
            Ok(Value::list(
                (0..n)
                    .map(|i| Value::tuple(seqs.iter().map(|s| s[i].clone())))
                    .collect(),
            ))
        }
        "min" | "max" => {
            if args.is_empty() {
                return Err(type_err(format!(
                    "{name} expected at least 1 argument, got 0"
                )));
            }
            min_max(st, name, args, kw)
        }
        "sum" => {
            arity(name, &args, 1, 2)?;
            let mut total = args.get(1).cloned().unwrap_or_else(|| 0.into());
            for v in st.iterate(&args[0])?.iter() {
                total = crate::eval::binop(crate::expr::BinOp::Add, &total, v)?;
            }
            Ok(total)
        }
        "any" | "all" => {
            arity(name, &args, 1, 1)?;
            let items = st.iterate(&args[0])?;
            Ok(if name == "any" {
                items.iter().any(Value::is_true)
            } else {
                items.iter().all(Value::is_true)
            }
            .into())
        }
        "abs" => {
            arity(name, &args, 1, 1)?;
            match args[0].as_number() {
                Some(Num::Int(i)) => i
                    .checked_abs()
                    .map(Value::from)
                    .ok_or_else(|| rt(ErrorKind::Overflow, "integer result too large")),
                Some(Num::Float(f)) => Ok(f.abs().into()),
                None => Err(type_err(format!(
                    "bad operand type for abs(): '{}'",
                    args[0].type_name()
                ))),
            }
        }
        "hex" | "oct" => {
            arity(name, &args, 1, 1)?;
            let i = int_arg(name, &args[0])?;
            let sign = if i < 0 { "-" } else { "" };
            let a = i.unsigned_abs();
            Ok(if name == "hex" {
                format!("{sign}0x{a:x}")
            } else {
                format!("{sign}0o{a:o}")
            }
            .into())
        }
        "round" => round(&args),
        "divmod" => {
            arity(name, &args, 2, 2)?;
            let q = crate::eval::binop(crate::expr::BinOp::FloorDiv, &args[0], &args[1])?;
            let r = crate::eval::binop(crate::expr::BinOp::Mod, &args[0], &args[1])?;
            Ok(Value::tuple([q, r]))
        }
        "getattr" => {
            arity(name, &args, 2, 3)?;
            let attr = args[1]
                .as_str()
                .ok_or_else(|| type_err("getattr(): attribute name must be string"))?;
            match (get_attr(&args[0], attr), args.get(2)) {
                (Ok(v), _) => Ok(v),
                (Err(_), Some(d)) => Ok(d.clone()),
                (Err(e), None) => Err(e),
            }
        }
        "hasattr" => {
            arity(name, &args, 2, 2)?;
            let attr = args[1]
                .as_str()
                .ok_or_else(|| type_err("hasattr(): attribute name must be string"))?;
            Ok(get_attr(&args[0], attr).is_ok().into())
        }
        "chr" => {
            arity(name, &args, 1, 1)?;
            let i = int_arg(name, &args[0])?;
            u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .map(|c| Value::from(c.to_string()))
                .ok_or_else(|| rt(ErrorKind::Value, "chr() arg not in range(0x110000)"))
        }
        "ord" => {
            arity(name, &args, 1, 1)?;
            let s = args[0].as_str().unwrap_or_default();
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(i64::from(u32::from(c)).into()),
                _ => Err(type_err("ord() expected a character")),
            }
        }
        "callable" => {
            arity(name, &args, 1, 1)?;
            Ok(matches!(args[0].0, Repr::Function(_) | Repr::Callable(_)).into())
        }
        "isinstance" => {
            arity(name, &args, 2, 2)?;
            let want = |t: &Value| match &t.0 {
                Repr::Callable(c) => match &**c {
                    Callable::Builtin(n) => {
                        *n == args[0].type_name() || (*n == "int" && args[0].type_name() == "bool")
                    }
                    _ => false,
                },
                _ => false,
            };
            Ok(match &args[1].0 {
                Repr::Tuple(ts) => ts.iter().any(want),
                _ => want(&args[1]),
            }
            .into())
        }
        "looper" => {
            arity(name, &args, 1, 1)?;
            Ok(looper::looper(st.iterate(&args[0])?.to_vec()))
        }
        "html" => {
            arity(name, &args, 1, 1)?;
            Ok(Value::safe(st.str_of(&args[0])?))
        }
        "html_quote" => {
            arity(name, &args, 1, 2)?;
            let force = args.get(1).is_none_or(Value::is_true);
            Ok(html::html_quote(&args[0], force).into())
        }
        "url" => {
            arity(name, &args, 1, 1)?;
            Ok(html::url(&st.str_of(&args[0])?).into())
        }
        "attr" => {
            arity(name, &args, 0, 0)?;
            Ok(html::attr(kw))
        }
        "bunch" => {
            arity(name, &args, 0, 0)?;
            Ok(crate::bunch(kw.iter().map(|(k, v)| (k, v.clone()))))
        }
        _ => Err(crate::eval::undefined(name)),
    }
}

const STR_METHODS: &[&str] = &[
    "upper",
    "lower",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "rsplit",
    "join",
    "replace",
    "startswith",
    "endswith",
    "title",
    "capitalize",
    "format",
    "count",
    "find",
    "rfind",
    "index",
    "isdigit",
    "isalpha",
    "isalnum",
    "isspace",
    "isupper",
    "islower",
    "splitlines",
    "center",
    "ljust",
    "rjust",
    "zfill",
    "partition",
    "swapcase",
    "casefold",
];
const DICT_METHODS: &[&str] = &["items", "keys", "values", "get", "copy"];
const LIST_METHODS: &[&str] = &["index", "count", "copy"];

/// Whether `obj.name` is a method of the value's type.
pub(crate) fn is_method(obj: &Value, name: &str) -> bool {
    match &obj.0 {
        Repr::Str(_) | Repr::Markup(_) => STR_METHODS.contains(&name),
        Repr::Dict(_) => DICT_METHODS.contains(&name),
        Repr::List(_) => LIST_METHODS.contains(&name),
        Repr::Tuple(_) => matches!(name, "index" | "count"),
        _ => false,
    }
}

fn str_arg<'a>(method: &str, v: Option<&'a Value>) -> Result<&'a str> {
    match v {
        Some(v) => v.as_str().ok_or_else(|| {
            type_err(format!(
                "{method}() argument must be str, not {}",
                v.type_name()
            ))
        }),
        None => Err(type_err(format!(
            "{method}() takes at least 1 argument (0 given)"
        ))),
    }
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_cased = c.is_alphabetic();
    }
    out
}

fn split(s: &str, sep: Option<&str>, maxsplit: i64, right: bool) -> Result<Vec<Value>> {
    let max = usize::try_from(maxsplit).ok();
    let parts: Vec<String> = match sep {
        Some("") => return Err(rt(ErrorKind::Value, "empty separator")),
        Some(sep) => match (max, right) {
            (Some(m), false) => s.splitn(m + 1, sep).map(str::to_owned).collect(),
            (Some(m), true) => {
                let mut v: Vec<String> = s.rsplitn(m + 1, sep).map(str::to_owned).collect();
                v.reverse();
                v
            }
            (None, _) => s.split(sep).map(str::to_owned).collect(),
        },
        None => {
            let words: Vec<&str> = s.split_whitespace().collect();
            match max {
                Some(m) if m < words.len() && !right => {
                    let mut v: Vec<String> = words[..m].iter().map(|w| (*w).to_owned()).collect();
                    let mut rest = s.trim_start();
                    for _ in 0..m {
                        rest = rest.trim_start();
                        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                        rest = &rest[end..];
                    }
                    v.push(rest.trim_start().to_owned());
                    v
                }
                Some(m) if m < words.len() => {
                    let mut rest = s.trim_end();
                    let mut tail = Vec::new();
                    for _ in 0..m {
                        let start = rest.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                        tail.push(rest[start..].to_owned());
                        rest = rest[..start].trim_end();
                    }
                    tail.push(rest.to_owned());
                    tail.reverse();
                    tail
                }
                _ => words.into_iter().map(str::to_owned).collect(),
            }
        }
    };
    Ok(parts.into_iter().map(Value::from).collect())
}

fn pad(s: &str, width: i64, fill: char, align: char) -> String {
    let len = s.chars().count();
    let width = usize::try_from(width).unwrap_or(0);
    if width <= len {
        return s.to_owned();
    }
    let total = width - len;
    let (left, right) = match align {
        '<' => (0, total),
        '>' => (total, 0),
        _ => (
            total / 2 + (total & width & 1),
            total - total / 2 - (total & width & 1),
        ),
    };
    let f = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    format!("{}{s}{}", f(left), f(right))
}

fn prefix_match(method: &str, s: &str, arg: Option<&Value>, ends: bool) -> Result<bool> {
    let check = |p: &str| {
        if ends {
            s.ends_with(p)
        } else {
            s.starts_with(p)
        }
    };
    match arg.map(|v| &v.0) {
        Some(Repr::Tuple(ps)) => Ok(ps.iter().any(|p| p.as_str().is_some_and(check))),
        _ => Ok(check(str_arg(method, arg)?)),
    }
}

/// `obj.name(args)` for the builtin types.
#[allow(clippy::too_many_lines)]
pub(crate) fn call_method(
    st: &mut State,
    obj: &Value,
    name: &str,
    args: Vec<Value>,
    kw: &Kwargs,
) -> Result<Value> {
    if !is_method(obj, name) {
        let f = get_attr(obj, name)?;
        return st.call(&f, args, kw.clone());
    }
    if name != "format" && !matches!(name, "split" | "rsplit") {
        kw.check(name, &[])?;
    }
    match &obj.0 {
        Repr::Str(s) | Repr::Markup(s) => {
            let s: &str = s;
            let chars_arg = |i: usize| -> Result<Option<Vec<char>>> {
                match args.get(i) {
                    Some(v) if !v.is_none() => Ok(Some(str_arg(name, Some(v))?.chars().collect())),
                    _ => Ok(None),
                }
            };
            Ok(match name {
                "upper" => s.to_uppercase().into(),
                "lower" | "casefold" => s.to_lowercase().into(),
                "swapcase" => s
                    .chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<Vec<_>>()
                        } else {
                            c.to_uppercase().collect()
                        }
                    })
                    .collect::<String>()
                    .into(),
                "strip" | "lstrip" | "rstrip" => {
                    let set = chars_arg(0)?;
                    let is = |c: char| {
                        set.as_ref()
                            .map_or(c.is_whitespace(), |set| set.contains(&c))
                    };
                    match name {
                        "strip" => s.trim_matches(is),
                        "lstrip" => s.trim_start_matches(is),
                        _ => s.trim_end_matches(is),
                    }
                    .into()
                }
                "split" | "rsplit" => {
                    kw.check(name, &["sep", "maxsplit"])?;
                    let sep = match args.first().or(kw.get("sep")) {
                        Some(v) if !v.is_none() => Some(str_arg(name, Some(v))?),
                        _ => None,
                    };
                    let max = match args.get(1).or(kw.get("maxsplit")) {
                        Some(v) => int_arg(name, v)?,
                        None => -1,
                    };
                    Value::list(split(s, sep, max, name == "rsplit")?)
                }
                "splitlines" => Value::list(s.lines().map(Value::from).collect()),
                "join" => {
                    arity(name, &args, 1, 1)?;
                    let items = st.iterate(&args[0])?;
                    let mut out = String::new();
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(s);
                        }
                        out.push_str(v.as_str().ok_or_else(|| {
                            type_err(format!(
                                "sequence item {i}: expected str instance, {} found",
                                v.type_name()
                            ))
                        })?);
                    }
                    out.into()
                }
                "replace" => {
                    arity(name, &args, 2, 3)?;
                    let (old, new) = (str_arg(name, args.first())?, str_arg(name, args.get(1))?);
                    match args.get(2).map(|v| int_arg(name, v)).transpose()? {
                        Some(n) if n >= 0 => {
                            s.replacen(old, new, usize::try_from(n).unwrap_or(0)).into()
                        }
                        _ => s.replace(old, new).into(),
                    }
                }
                "startswith" | "endswith" => {
                    prefix_match(name, s, args.first(), name == "endswith")?.into()
                }
                "title" => title(s).into(),
                "capitalize" => {
                    let mut c = s.chars();
                    match c.next() {
                        Some(f) => f
                            .to_uppercase()
                            .chain(c.flat_map(char::to_lowercase))
                            .collect::<String>()
                            .into(),
                        None => "".into(),
                    }
                }
                "format" => crate::format::format_method(st, s, &args, kw)?.into(),
                "count" => {
                    let sub = str_arg(name, args.first())?;
                    if sub.is_empty() {
                        s.chars().count() + 1
                    } else {
                        s.matches(sub).count()
                    }
                    .into()
                }
                "find" | "rfind" | "index" => {
                    let sub = str_arg(name, args.first())?;
                    let found = if name == "rfind" {
                        s.rfind(sub)
                    } else {
                        s.find(sub)
                    };
                    match found {
                        Some(b) => Value::from(s[..b].chars().count()),
                        None if name == "index" => {
                            return Err(rt(ErrorKind::Value, "substring not found"));
                        }
                        None => Value::from(-1),
                    }
                }
                "isdigit" => (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())).into(),
                "isalpha" => (!s.is_empty() && s.chars().all(char::is_alphabetic)).into(),
                "isalnum" => (!s.is_empty() && s.chars().all(char::is_alphanumeric)).into(),
                "isspace" => (!s.is_empty() && s.chars().all(char::is_whitespace)).into(),
                "isupper" => (s.chars().any(char::is_alphabetic)
                    && !s.chars().any(char::is_lowercase))
                .into(),
                "islower" => (s.chars().any(char::is_alphabetic)
                    && !s.chars().any(char::is_uppercase))
                .into(),
                "center" | "ljust" | "rjust" => {
                    arity(name, &args, 1, 2)?;
                    let w = int_arg(name, &args[0])?;
                    crate::eval::check_size(usize::try_from(w).unwrap_or(0))?;
                    let fill = match args.get(1) {
                        Some(f) => {
                            let f = str_arg(name, Some(f))?;
                            let mut cs = f.chars();
                            match (cs.next(), cs.next()) {
                                (Some(c), None) => c,
                                _ => {
                                    return Err(type_err(
                                        "The fill character must be exactly one character long",
                                    ));
                                }
                            }
                        }
                        None => ' ',
                    };
                    let align = match name {
                        "ljust" => '<',
                        "rjust" => '>',
                        _ => '^',
                    };
                    pad(s, w, fill, align).into()
                }
                "zfill" => {
                    arity(name, &args, 1, 1)?;
                    let w = crate::eval::check_size(
                        usize::try_from(int_arg(name, &args[0])?).unwrap_or(0),
                    )?;
                    let len = s.chars().count();
                    if w <= len {
                        s.into()
                    } else {
                        let (sign, rest) = match s.strip_prefix(['-', '+']) {
                            Some(r) => (&s[..1], r),
                            None => ("", s),
                        };
                        format!("{sign}{}{rest}", "0".repeat(w - len)).into()
                    }
                }
                "partition" => {
                    let sep = str_arg(name, args.first())?;
                    match s.split_once(sep) {
                        Some((a, b)) => Value::tuple([a.into(), sep.into(), b.into()]),
                        None => Value::tuple([s.into(), "".into(), "".into()]),
                    }
                }
                _ => unreachable!("is_method checked"),
            })
        }
        Repr::Dict(d) => Ok(match name {
            "items" => Value::list(
                d.entries
                    .iter()
                    .map(|(k, v)| Value::tuple([k.clone(), v.clone()]))
                    .collect(),
            ),
            "keys" => Value::list(d.entries.iter().map(|(k, _)| k.clone()).collect()),
            "values" => Value::list(d.entries.iter().map(|(_, v)| v.clone()).collect()),
            "get" => {
                arity(name, &args, 1, 2)?;
                d.get(&args[0])
                    .cloned()
                    .or_else(|| args.get(1).cloned())
                    .unwrap_or_default()
            }
            "copy" => obj.clone(),
            _ => unreachable!("is_method checked"),
        }),
        Repr::List(l) | Repr::Tuple(l) => Ok(match name {
            "count" => {
                arity(name, &args, 1, 1)?;
                l.iter().filter(|v| v.py_eq(&args[0])).count().into()
            }
            "index" => {
                arity(name, &args, 1, 1)?;
                match l.iter().position(|v| v.py_eq(&args[0])) {
                    Some(i) => i.into(),
                    None => {
                        return Err(rt(
                            ErrorKind::Value,
                            format!("{} is not in list", args[0].repr()),
                        ));
                    }
                }
            }
            "copy" => Value::list(l.to_vec()),
            _ => unreachable!("is_method checked"),
        }),
        _ => Err(type_err(format!(
            "'{}' object has no method '{name}'",
            obj.type_name()
        ))),
    }
}
