//! Reads wire types with serde straight from what the browser's `JSON.parse` made, so the
//! app carries no JSON parser. serde-wasm-bindgen did this too, at ~8 KB more gzipped wasm:
//! its errors name a wrong number by its value, which links Rust's float formatting; these
//! name the JSON type only ("invalid type: number, expected a string").

use js_sys::{Array, Number, Object, Reflect};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::cell::RefCell;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// A value that is not the type the app expects, in words.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error(format!("invalid type: {}, expected {exp}", kind(&unexp)))
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error(format!("invalid value: {}, expected {exp}", kind(&unexp)))
    }
}

/// What was found instead, by its JSON type (never a float's digits: see the module doc).
fn kind(u: &de::Unexpected<'_>) -> &'static str {
    use de::Unexpected as U;
    match u {
        U::Bool(_) => "boolean",
        U::Unsigned(_) | U::Signed(_) | U::Float(_) => "number",
        U::Char(_) | U::Str(_) => "string",
        U::Unit | U::Option => "null",
        U::Seq => "array",
        U::Map => "object",
        _ => "value",
    }
}

/// `T` from a parsed JSON value.
pub fn read<T: de::DeserializeOwned>(v: JsValue) -> Result<T, Error> {
    T::deserialize(Js(v))
}

/// Deserializer methods that read as another one does.
macro_rules! same_as {
    ($($($name:ident),+ => $to:ident;)+) => {
        $($(
            fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
                self.$to(v)
            }
        )+)+
    };
}

/// One parsed JSON value, read by serde.
struct Js(JsValue);

impl Js {
    fn nullish(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }

    /// What this value is, by its JSON type.
    fn kind(&self) -> &'static str {
        if self.nullish() {
            "null"
        } else if self.0.as_bool().is_some() {
            "boolean"
        } else if self.0.as_f64().is_some() {
            "number"
        } else if self.0.is_string() {
            "string"
        } else if Array::is_array(&self.0) {
            "array"
        } else {
            "object"
        }
    }

    /// One copy for every type read (not one per visitor: that would cost wasm).
    #[cold]
    #[inline(never)]
    fn wrong(&self, exp: &dyn de::Expected) -> Error {
        Error(format!("invalid type: {}, expected {exp}", self.kind()))
    }

    /// A JSON object (not null, not an array).
    fn is_object(&self) -> bool {
        !self.nullish() && self.0.is_object() && !Array::is_array(&self.0)
    }

    /// A whole number JSON can hold exactly (JavaScript's safe integers).
    fn integer(&self) -> Option<f64> {
        Number::is_safe_integer(&self.0)
            .then(|| self.0.as_f64())
            .flatten()
    }
}

impl<'de> de::Deserializer<'de> for Js {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.nullish() {
            v.visit_unit()
        } else if let Some(b) = self.0.as_bool() {
            v.visit_bool(b)
        } else if let Some(n) = self.integer() {
            if n >= 0.0 {
                v.visit_u64(n as u64)
            } else {
                v.visit_i64(n as i64)
            }
        } else if let Some(n) = self.0.as_f64() {
            v.visit_f64(n)
        } else if let Some(s) = self.0.as_string() {
            v.visit_string(s)
        } else if Array::is_array(&self.0) {
            self.deserialize_seq(v)
        } else {
            self.deserialize_map(v)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.nullish() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.nullish() {
            v.visit_unit()
        } else {
            Err(self.wrong(&v))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0.as_bool() {
            Some(b) => v.visit_bool(b),
            None => Err(self.wrong(&v)),
        }
    }

    // Narrower numbers and other spellings of text: the same reads (serde checks the range).
    same_as! {
        deserialize_i8, deserialize_i16, deserialize_i32 => deserialize_i64;
        deserialize_u8, deserialize_u16, deserialize_u32 => deserialize_u64;
        deserialize_f32 => deserialize_f64;
        deserialize_str, deserialize_char, deserialize_identifier => deserialize_string;
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.integer() {
            Some(n) => v.visit_i64(n as i64),
            None => Err(self.wrong(&v)),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.integer() {
            Some(n) if n >= 0.0 => v.visit_u64(n as u64),
            _ => Err(self.wrong(&v)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0.as_f64() {
            Some(n) => v.visit_f64(n),
            None => Err(self.wrong(&v)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0.as_string() {
            Some(s) => v.visit_string(s),
            None => Err(self.wrong(&v)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if !Array::is_array(&self.0) {
            return Err(self.wrong(&v));
        }
        v.visit_seq(Items {
            items: self.0.unchecked_into(),
            next: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if !self.is_object() {
            return Err(self.wrong(&v));
        }
        let object: Object = self.0.unchecked_into();
        v.visit_map(Fields {
            keys: Object::keys(&object),
            object,
            next: 0,
        })
    }

    /// A struct's fields are looked up by name (its unknown fields are never read).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        if !self.is_object() {
            return Err(self.wrong(&v));
        }
        v.visit_map(Named {
            object: self.0.unchecked_into(),
            keys: keys(fields),
            fields,
            next: 0,
            value: JsValue::UNDEFINED,
        })
    }

    /// Unit variants only (the wire types' enums are all strings).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.0.as_string() {
            Some(s) => v.visit_enum(IntoDeserializer::<Error>::into_deserializer(s)),
            None => Err(self.wrong(&v)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        Err(self.wrong(&v))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        Err(self.wrong(&v))
    }
}

/// A JSON array's items, in order.
struct Items {
    items: Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(Js(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.length().saturating_sub(self.next) as usize)
    }
}

/// A JSON object's fields, in order.
struct Fields {
    object: Object,
    keys: Array,
    next: u32,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        seed.deserialize(Js(self.keys.get(self.next))).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let key = self.keys.get(self.next);
        self.next += 1;
        let value = Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED);
        seed.deserialize(Js(value))
    }
}

/// A JSON object read as a struct: its fields by name, in the struct's order; one that is
/// absent (`undefined`) is left to serde (its default, or "missing field").
struct Named {
    object: Object,
    fields: &'static [&'static str],
    /// `fields` as JS strings, made once per struct type (a page of 1,000 jobs looks up
    /// ~60,000 fields).
    keys: Array,
    next: usize,
    value: JsValue,
}

/// A struct type's field names (its `fields`, by address) and the same as JS strings.
type KeyCache = RefCell<Vec<(*const &'static str, Array)>>;

thread_local! {
    static KEYS: KeyCache = const { RefCell::new(Vec::new()) };
}

fn keys(fields: &'static [&'static str]) -> Array {
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, keys)) = cache.iter().find(|(k, _)| *k == fields.as_ptr()) {
            return keys.clone();
        }
        let keys = Array::new();
        for f in fields {
            keys.push(&JsValue::from_str(f));
        }
        cache.push((fields.as_ptr(), keys.clone()));
        keys
    })
}

impl<'de> de::MapAccess<'de> for Named {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        while let Some(&field) = self.fields.get(self.next) {
            let key = self.keys.get(self.next as u32);
            self.next += 1;
            let value = Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED);
            if !value.is_undefined() {
                self.value = value;
                return seed
                    .deserialize(IntoDeserializer::<Error>::into_deserializer(field))
                    .map(Some);
            }
        }
        Ok(None)
    }

    #[inline(never)]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Js(std::mem::replace(&mut self.value, JsValue::UNDEFINED)))
    }
}
