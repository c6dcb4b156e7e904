//! Python's `%` formatting and `str.format`.

use crate::error::{ErrorKind, Result, rt};
use crate::eval::{State, get_attr, get_item};
use crate::value::{Kwargs, Num, Repr, Value, write_float};

fn type_err(msg: impl std::fmt::Display) -> crate::Error {
    rt(ErrorKind::Type, msg)
}

fn val_err(msg: impl std::fmt::Display) -> crate::Error {
    rt(ErrorKind::Value, msg)
}

/// A width: digits, at most 1 000 000 (0 when empty).
fn width_field(digits: &str) -> Result<usize> {
    size_field(digits, 1_000_000, "width too large (at most 1000000)")
}

/// A precision: digits, at most 10 000 (0 when empty). Rust's float
/// formatting panics a little under 65 536 digits (`{:.65535e}` asks for
/// one more), and no page needs more than a few dozen.
fn precision_field(digits: &str) -> Result<usize> {
    size_field(digits, 10_000, "precision too large (at most 10000)")
}

fn size_field(digits: &str, max: usize, too_large: &str) -> Result<usize> {
    if digits.is_empty() {
        return Ok(0);
    }
    let n: usize = digits.parse().unwrap_or(usize::MAX);
    if n > max {
        return Err(rt(ErrorKind::Overflow, too_large));
    }
    Ok(n)
}

/// A parsed format spec: `[[fill]align][sign][#][0][width][,][.precision][type]`.
#[derive(Default)]
struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    alt: bool,
    zero: bool,
    width: usize,
    comma: bool,
    precision: Option<usize>,
    ty: Option<char>,
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

fn sci(f: f64, prec: usize, upper: bool) -> String {
    let s = format!("{f:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let out = format!(
        "{m}e{}{:02}",
        if e < 0 { '-' } else { '+' },
        e.unsigned_abs()
    );
    if upper { out.to_uppercase() } else { out }
}

/// Format a float for the `e f g %` types.
fn float_fmt(f: f64, ty: char, prec: Option<usize>, alt: bool) -> String {
    if !f.is_finite() {
        let s = if f.is_nan() {
            "nan"
        } else if f > 0.0 {
            "inf"
        } else {
            "-inf"
        };
        return if ty.is_ascii_uppercase() {
            s.to_uppercase()
        } else {
            s.to_owned()
        };
    }
    match ty {
        'f' | 'F' => {
            let p = prec.unwrap_or(6);
            fixed_fast(f, p).unwrap_or_else(|| format!("{f:.p$}"))
        }
        'e' | 'E' => sci(f, prec.unwrap_or(6), ty == 'E'),
        '%' => {
            let p = prec.unwrap_or(6);
            format!("{:.p$}%", f * 100.0)
        }
        _ => {
            let p = prec.unwrap_or(6).max(1);
            if f == 0.0 {
                return if alt {
                    format!("{:.*}", p - 1, 0.0)
                } else {
                    "0".to_owned()
                };
            }
            let exp = sci(f, p - 1, false);
            let e: i32 = exp
                .split_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
            let pi = i32::try_from(p).unwrap_or(i32::MAX);
            let s = if (-4..pi).contains(&e) {
                let decimals = usize::try_from(pi - 1 - e).unwrap_or(0);
                let fixed = format!("{f:.decimals$}");
                if alt { fixed } else { strip_zeros(&fixed) }
            } else {
                let (m, rest) = exp.split_once('e').unwrap_or((&exp, "+00"));
                let m = if alt { m.to_owned() } else { strip_zeros(m) };
                format!("{m}e{rest}")
            };
            if ty == 'G' { s.to_uppercase() } else { s }
        }
    }
}

/// `format!("{f:.p$}")` without the exact (bignum) algorithm, for the common
/// case of a small value and few decimals whose rounding is not a near tie;
/// `None` when the exact algorithm is needed.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
fn fixed_fast(f: f64, p: usize) -> Option<String> {
    const POW10: [f64; 7] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];
    let scale = *POW10.get(p)?;
    let scaled = f.abs() * scale;
    // Below 1e9 the product's error is under 1e-6, far from the tie margin.
    if scaled.is_nan() || scaled >= 1e9 {
        return None;
    }
    let frac = scaled - scaled.floor();
    if (frac - 0.5).abs() < 1e-6 {
        return None;
    }
    let n = scaled.round() as u64;
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + 3);
    if f.is_sign_negative() {
        out.push('-');
    }
    if p == 0 {
        out.push_str(&digits);
    } else if digits.len() > p {
        let (int, dec) = digits.split_at(digits.len() - p);
        out.push_str(int);
        out.push('.');
        out.push_str(dec);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', p - digits.len()));
        out.push_str(&digits);
    }
    Some(out)
}

fn group_thousands(digits: &str) -> String {
    let (int, frac) = match digits.find('.') {
        Some(i) => (&digits[..i], &digits[i..]),
        None => (digits, ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + frac
}

fn apply_spec(v: &Value, spec: &Spec) -> Result<String> {
    let num = match v.0 {
        Repr::Bool(_) if spec.ty.is_none() => None,
        _ => v.as_number(),
    };
    let (mut sign, body) = match (num, spec.ty) {
        (None, None | Some('s')) => {
            if spec.precision.is_some()
                || spec.ty.is_some()
                || !matches!(v.0, Repr::Str(_) | Repr::Markup(_))
            {
                let s = v.to_string();
                let s = match spec.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                return Ok(pad(&s, "", spec, '<'));
            }
            return Ok(pad(&v.to_string(), "", spec, '<'));
        }
        (None, Some(t)) => {
            return Err(val_err(format!(
                "Unknown format code '{t}' for object of type '{}'",
                v.type_name()
            )));
        }
        (Some(n), ty) => {
            let neg = n.as_f64().is_sign_negative() && n.as_f64() != 0.0
                || matches!(n, Num::Int(i) if i < 0);
            let body = match (n, ty) {
                (Num::Int(i), None | Some('d' | 'n')) => i.unsigned_abs().to_string(),
                (Num::Int(i), Some('x')) => {
                    format!("{}{:x}", if spec.alt { "0x" } else { "" }, i.unsigned_abs())
                }
                (Num::Int(i), Some('X')) => {
                    format!("{}{:X}", if spec.alt { "0X" } else { "" }, i.unsigned_abs())
                }
                (Num::Int(i), Some('o')) => {
                    format!("{}{:o}", if spec.alt { "0o" } else { "" }, i.unsigned_abs())
                }
                (Num::Int(i), Some('b')) => {
                    format!("{}{:b}", if spec.alt { "0b" } else { "" }, i.unsigned_abs())
                }
                (Num::Int(i), Some('c')) => {
                    return Ok(u32::try_from(i)
                        .ok()
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default());
                }
                (Num::Float(f), None) if spec.precision.is_none() => {
                    let mut s = String::new();
                    write_float(f.abs(), &mut s);
                    s
                }
                (n, None) => float_fmt(n.as_f64().abs(), 'g', spec.precision, spec.alt),
                (n, Some(t @ ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%'))) => {
                    float_fmt(n.as_f64().abs(), t, spec.precision, spec.alt)
                }
                (_, Some(t)) => {
                    return Err(val_err(format!(
                        "Unknown format code '{t}' for object of type '{}'",
                        v.type_name()
                    )));
                }
            };
            (if neg { "-" } else { "" }, body)
        }
    };
    if sign.is_empty() {
        sign = match spec.sign {
            '+' => "+",
            ' ' => " ",
            _ => "",
        };
    }
    let body = if spec.comma {
        group_thousands(&body)
    } else {
        body
    };
    Ok(pad(&body, sign, spec, '>'))
}

fn pad(body: &str, sign: &str, spec: &Spec, default_align: char) -> String {
    let len = body.chars().count() + sign.chars().count();
    if spec.width <= len {
        return format!("{sign}{body}");
    }
    let n = spec.width - len;
    let (fill, align) = if spec.zero && spec.align.is_none() {
        ('0', '=')
    } else {
        (spec.fill, spec.align.unwrap_or(default_align))
    };
    let f = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{sign}{body}{}", f(n)),
        '^' => format!("{}{sign}{body}{}", f(n / 2), f(n - n / 2)),
        '=' => format!("{sign}{}{body}", f(n)),
        _ => format!("{}{sign}{body}", f(n)),
    }
}

fn parse_spec(s: &str) -> Result<Spec> {
    let chars: Vec<char> = s.chars().collect();
    let mut spec = Spec {
        fill: ' ',
        ..Spec::default()
    };
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = chars[0];
        spec.align = Some(chars[1]);
        i = 2;
    } else if chars.first().is_some_and(|c| is_align(*c)) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if let Some(&c) = chars.get(i)
        && matches!(c, '+' | '-' | ' ')
    {
        spec.sign = c;
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        spec.alt = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        spec.zero = true;
        i += 1;
    }
    let start = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    spec.width = width_field(&String::from_iter(&chars[start..i]))?;
    if chars.get(i) == Some(&',') {
        spec.comma = true;
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let start = i;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        if start == i {
            return Err(val_err("Format specifier missing precision"));
        }
        spec.precision = Some(precision_field(&String::from_iter(&chars[start..i]))?);
    }
    if let Some(&c) = chars.get(i) {
        spec.ty = Some(c);
        i += 1;
    }
    if i != chars.len() {
        return Err(val_err(format!("Invalid format specifier '{s}'")));
    }
    Ok(spec)
}

/// `text % args`.
pub(crate) fn percent(st: &mut State, text: &str, args: &Value) -> Result<Value> {
    let (positional, mapping): (Vec<Value>, Option<&Value>) = match &args.0 {
        Repr::Tuple(items) => (items.to_vec(), None),
        Repr::Dict(_) | Repr::Object(_) => (vec![args.clone()], Some(args)),
        _ => (vec![args.clone()], None),
    };
    let mut next = 0;
    let mut used_mapping = false;
    let mut out = String::with_capacity(text.len());
    // Byte offsets: every character the conversion syntax uses is ASCII,
    // so each offset below stays on a character boundary, and the text
    // between conversions is copied whole.
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(at) = text[i..].find('%') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + at]);
        i += at + 1;
        let mut key = None;
        if b.get(i) == Some(&b'(') {
            let end = text[i..]
                .find(')')
                .ok_or_else(|| val_err("incomplete format key"))?;
            key = Some(&text[i + 1..i + end]);
            i += end + 1;
        }
        let mut spec = Spec {
            fill: ' ',
            ..Spec::default()
        };
        while let Some(&c) = b.get(i) {
            match c {
                b'-' => spec.align = Some('<'),
                b'+' => spec.sign = '+',
                b' ' => {
                    if spec.sign != '+' {
                        spec.sign = ' ';
                    }
                }
                b'0' => spec.zero = true,
                b'#' => spec.alt = true,
                _ => break,
            }
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        spec.width = width_field(&text[start..i])?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let p = precision_field(&text[start..i])?;
            st.charge_precision(p)?;
            spec.precision = Some(p);
        }
        let Some(ty) = text[i..].chars().next() else {
            return Err(val_err("incomplete format"));
        };
        i += ty.len_utf8();
        if ty == '%' {
            out.push('%');
            continue;
        }
        let value = match &key {
            Some(k) => {
                used_mapping = true;
                let m = mapping.ok_or_else(|| type_err("format requires a mapping"))?;
                get_item(m, &Value::from(*k))?
            }
            None => {
                let v = positional
                    .get(next)
                    .cloned()
                    .ok_or_else(|| type_err("not enough arguments for format string"))?;
                next += 1;
                v
            }
        };
        if spec.zero && spec.align == Some('<') {
            spec.zero = false;
        }
        let s = match ty {
            's' => pad(
                &value.to_string(),
                "",
                &Spec {
                    precision: None,
                    ..spec
                },
                '>',
            ),
            'r' | 'a' => pad(&value.repr(), "", &spec, '>'),
            'd' | 'i' | 'u' => {
                let n = value.as_number().ok_or_else(|| {
                    type_err(format!(
                        "%{ty} format: a real number is required, not {}",
                        value.type_name()
                    ))
                })?;
                #[allow(clippy::cast_possible_truncation)]
                let i = match n {
                    Num::Int(i) => i,
                    Num::Float(f) => f.trunc() as i64,
                };
                apply_spec(
                    &Value::from(i),
                    &Spec {
                        ty: Some('d'),
                        ..spec
                    },
                )?
            }
            'x' | 'X' | 'o' => {
                let n = value.as_i64().ok_or_else(|| {
                    type_err(format!(
                        "%{ty} format: an integer is required, not {}",
                        value.type_name()
                    ))
                })?;
                apply_spec(
                    &Value::from(n),
                    &Spec {
                        ty: Some(ty),
                        ..spec
                    },
                )?
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let n = value.as_number().ok_or_else(|| {
                    type_err(format!("must be real number, not {}", value.type_name()))
                })?;
                apply_spec(
                    &Value::from(n.as_f64()),
                    &Spec {
                        ty: Some(ty),
                        ..spec
                    },
                )?
            }
            'c' => match (&value.0, value.as_i64()) {
                (Repr::Str(s), _) if s.chars().count() == 1 => s.to_string(),
                (_, Some(i)) => u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .unwrap_or_default(),
                _ => return Err(type_err("%c requires int or char")),
            },
            other => {
                return Err(val_err(format!("unsupported format character '{other}'")));
            }
        };
        out.push_str(&s);
    }
    if mapping.is_none() && next < positional.len() && !used_mapping {
        return Err(type_err(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out.into())
}

/// `text.format(*args, **kwargs)`.
pub(crate) fn format_method(
    st: &mut State,
    text: &str,
    args: &[Value],
    kw: &Kwargs,
) -> Result<String> {
    for v in args.iter().chain(kw.0.iter().map(|(_, v)| v)) {
        st.charge_shown(v)?;
    }
    let mut out = String::with_capacity(text.len());
    let mut auto = 0usize;
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        rest = &rest[i + 1..];
        if c == b'}' {
            if let Some(r) = rest.strip_prefix('}') {
                out.push('}');
                rest = r;
                continue;
            }
            return Err(val_err("Single '}' encountered in format string"));
        }
        if let Some(r) = rest.strip_prefix('{') {
            out.push('{');
            rest = r;
            continue;
        }
        let end = rest
            .find('}')
            .ok_or_else(|| val_err("Single '{' encountered in format string"))?;
        let field = &rest[..end];
        rest = &rest[end + 1..];
        let (field, spec) = field.split_once(':').unwrap_or((field, ""));
        let (field, conv) = match field.split_once('!') {
            Some((f, c)) => (f, Some(c)),
            None => (field, None),
        };
        let name_end = field.find(['.', '[']).unwrap_or(field.len());
        let (head, mut tail) = field.split_at(name_end);
        let mut v = if head.is_empty() {
            let v = args.get(auto).cloned().ok_or_else(|| {
                rt(
                    ErrorKind::Index,
                    format!("Replacement index {auto} out of range for positional args tuple"),
                )
            })?;
            auto += 1;
            v
        } else if let Ok(n) = head.parse::<usize>() {
            args.get(n).cloned().ok_or_else(|| {
                rt(
                    ErrorKind::Index,
                    format!("Replacement index {n} out of range for positional args tuple"),
                )
            })?
        } else {
            kw.get(head)
                .cloned()
                .ok_or_else(|| rt(ErrorKind::Key, format!("'{head}'")))?
        };
        while !tail.is_empty() {
            if let Some(t) = tail.strip_prefix('.') {
                let e = t.find(['.', '[']).unwrap_or(t.len());
                v = get_attr(&v, &t[..e])?;
                tail = &t[e..];
            } else if let Some(t) = tail.strip_prefix('[') {
                let e = t
                    .find(']')
                    .ok_or_else(|| val_err("Missing ']' in format string"))?;
                let key = &t[..e];
                let key = key
                    .parse::<i64>()
                    .map_or_else(|_| Value::from(key), Value::from);
                v = get_item(&v, &key)?;
                tail = &t[e + 1..];
            } else {
                return Err(val_err(
                    "Only '.' or '[' may follow ']' in format field specifier",
                ));
            }
        }
        let v = match conv {
            Some("r") => Value::from(v.repr()),
            Some("s") => Value::from(st.str_of(&v)?),
            Some(c) => return Err(val_err(format!("Unknown conversion specifier {c}"))),
            None => v,
        };
        let spec = parse_spec(spec)?;
        st.charge_precision(spec.precision.unwrap_or(0))?;
        out.push_str(&apply_spec(&v, &spec)?);
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::fixed_fast;

    #[test]
    fn fast_fixed_formatting_agrees_with_the_exact_one() {
        let mut seed: u64 = 42;
        let mut checked = 0;
        for i in 0..200_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            #[allow(clippy::cast_precision_loss)]
            let f = match i % 4 {
                0 => (seed % 1_000_000) as f64 / 1000.0,
                1 => (seed % 10_000) as f64 * 0.005 - 25.0,
                2 => f64::from_bits(seed >> 2) % 1e8,
                _ => (seed % 100_000) as f64 / 8.0,
            };
            let p = usize::try_from(seed % 7).unwrap();
            if let Some(fast) = fixed_fast(f, p) {
                assert_eq!(fast, format!("{f:.p$}"), "{f} .{p}");
                checked += 1;
            }
        }
        assert!(checked > 100_000);
        assert_eq!(
            fixed_fast(2.675, 2),
            None,
            "a near tie goes to the exact algorithm"
        );
        assert_eq!(
            fixed_fast(1.005, 2).unwrap_or_else(|| format!("{:.2}", 1.005)),
            "1.00"
        );
        assert_eq!(fixed_fast(-0.0, 1).unwrap(), "-0.0");
    }
}
