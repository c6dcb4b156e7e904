//! `looper`: loop over a sequence knowing where you are.

use std::sync::Arc;

use crate::error::Result;
use crate::value::{Object, Seq, Value};

/// The iterable returned by `looper(seq)`: yields `(loop, item)` pairs.
#[derive(Debug)]
struct Looper(Arc<Seq>);

impl Object for Looper {
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(
            (0..self.0.len())
                .map(|index| {
                    let pos = Value::from_object(LoopPos {
                        items: self.0.clone(),
                        index,
                    });
                    Value::tuple([pos, self.0[index].clone()])
                })
                .collect(),
        )
    }
    fn repr(&self) -> String {
        format!("<looper {}>", Value::list(self.0.to_vec()).repr())
    }
    fn depth(&self) -> u32 {
        self.0.depth()
    }
}

/// The position in a `looper` loop.
#[derive(Debug)]
pub(crate) struct LoopPos {
    pub(crate) items: Arc<Seq>,
    pub(crate) index: usize,
}

impl LoopPos {
    pub(crate) fn neighbour(&self, forward: bool) -> Option<&Value> {
        if forward {
            self.items.get(self.index + 1)
        } else {
            self.index.checked_sub(1).and_then(|i| self.items.get(i))
        }
    }
}

impl Object for LoopPos {
    fn depth(&self) -> u32 {
        self.items.depth()
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let i = self.index;
        Some(match name {
            "index" => i.into(),
            "number" => (i + 1).into(),
            "item" => self.items[i].clone(),
            "next" => self.neighbour(true).cloned().unwrap_or_default(),
            "previous" => self.neighbour(false).cloned().unwrap_or_default(),
            "first" => (i == 0).into(),
            "last" => (i + 1 == self.items.len()).into(),
            "length" => self.items.len().into(),
            "even" => i.is_multiple_of(2).into(),
            "odd" => (i % 2 == 1).into(),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        format!(
            "<loop pos={} at {}>",
            self.items[self.index].repr(),
            self.index
        )
    }
}

/// `looper(seq)`: iterate `(loop, item)` pairs, where `loop` knows the
/// position (`index`, `number`, `first`, `last`, `odd`, `even`, `length`,
/// `previous`, `next`, `item`, `first_group()`, `last_group()`).
///
/// ```
/// use tempita::{Context, Template, looper};
/// let t = Template::new("{{for loop, x in seq}}{{x}}{{if not loop.last}}, {{endif}}{{endfor}}").unwrap();
/// let seq = looper(["a", "b", "c"].map(tempita::Value::from));
/// assert_eq!(t.substitute(&Context::new().with("seq", seq)).unwrap(), "a, b, c");
/// ```
pub fn looper(items: impl IntoIterator<Item = Value>) -> Value {
    Value::from_object(Looper(Arc::new(items.into_iter().collect())))
}

/// Group boundary test of `first_group`/`last_group`, with the getter already applied.
pub(crate) fn group_boundary(this: &Value, other: Option<&Value>) -> Result<bool> {
    Ok(other.is_none_or(|o| !o.py_eq(this)))
}
