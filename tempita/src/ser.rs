//! `serde::Serialize` → [`Value`], keeping the order of struct fields and map keys.

use std::sync::Arc;

use serde::ser::{self, Serialize};

use crate::error::{Error, ErrorKind};
use crate::value::{Dict, Repr, Value};

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::new(ErrorKind::Serialize, msg.to_string())
    }
}

thread_local! {
    /// Field names of serialized structs, shared instead of allocated per record.
    static FIELD_NAMES: std::cell::RefCell<std::collections::HashMap<(usize, usize), Value>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn field_name(key: &'static str) -> Value {
    let id = (key.as_ptr() as usize, key.len());
    FIELD_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if names.len() > 4096 {
            names.clear();
        }
        names.entry(id).or_insert_with(|| Value::from(key)).clone()
    })
}

/// The serializer that builds values.
pub(crate) struct ValueSerializer;

pub(crate) struct SeqBuilder {
    items: Vec<Value>,
    tuple: bool,
    variant: Option<&'static str>,
}

pub(crate) struct MapBuilder {
    dict: Dict,
    key: Option<Value>,
    variant: Option<&'static str>,
}

fn wrap_variant(variant: Option<&'static str>, v: Value) -> Value {
    match variant {
        Some(name) => Value::dict([(Value::from(name), v)]),
        None => v,
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(v.into())
    }
    #[allow(clippy::cast_precision_loss)]
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(i64::try_from(v).map_or(Value::from(v as f64), Value::from))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(v.into())
    }
    #[allow(clippy::cast_precision_loss)]
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(i64::try_from(v).map_or(Value::from(v as f64), Value::from))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(v.to_string().into())
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(v.iter().map(|b| Value::from(*b)).collect())
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::NONE)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::NONE)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, Error> {
        Ok(Value::NONE)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(variant.into())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        Ok(wrap_variant(Some(variant), value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
            tuple: false,
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            tuple: true,
            variant: None,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            tuple: true,
            variant: None,
        })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            tuple: true,
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        let mut dict = Dict::default();
        dict.entries.reserve(len.unwrap_or(0));
        Ok(MapBuilder {
            dict,
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, Error> {
        let mut m = self.serialize_map(Some(len))?;
        m.variant = Some(variant);
        Ok(m)
    }
}

impl SeqBuilder {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn done(self) -> Value {
        let v = if self.tuple {
            Value(Repr::Tuple(Arc::new(self.items.into())))
        } else {
            Value::from(self.items)
        };
        wrap_variant(self.variant, v)
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl MapBuilder {
    fn done(self) -> Value {
        wrap_variant(self.variant, Value(Repr::Dict(Arc::new(self.dict))))
    }
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        // Struct fields are unique: no need to look for an existing key.
        let value = value.serialize(ValueSerializer)?;
        self.dict.push_new(field_name(key), value);
        Ok(())
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(ValueSerializer)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().unwrap_or_default();
        self.dict.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

/// Values serialize back (to JSON, for example) as the Python data they hold.
impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap as _, SerializeSeq as _};
        match &self.0 {
            Repr::None => s.serialize_none(),
            Repr::Bool(b) => s.serialize_bool(*b),
            Repr::Int(i) => s.serialize_i64(*i),
            Repr::Float(f) => s.serialize_f64(*f),
            Repr::Str(t) | Repr::Markup(t) => s.serialize_str(t),
            Repr::List(l) | Repr::Tuple(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Repr::Dict(d) => {
                let mut map = s.serialize_map(Some(d.entries.len()))?;
                for (k, v) in &d.entries {
                    map.serialize_entry(&k.to_string(), v)?;
                }
                map.end()
            }
            _ => s.serialize_str(&self.to_string()),
        }
    }
}
