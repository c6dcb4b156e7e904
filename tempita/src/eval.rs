//! The evaluator: runs the template tree and evaluates expressions.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use crate::builtins;
use crate::error::{Error, ErrorKind, Pos, Result, rt};
use crate::expr::{Arg, AssignTarget, BinOp, CmpOp, Expr, LambdaDef, Params, Stmt, Target};
use crate::html;
use crate::looper::{self, LoopPos};
use crate::parser::{DefNode, Node};
use crate::template::TemplateInner;
use crate::value::{Dict, Kwargs, MAX_NESTING, Num, Object, Repr, Seq, Value};

/// A namespace: name → value. The std hasher is randomly seeded, so that
/// contexts built from client-chosen names cannot be flooded with collisions.
pub(crate) type Ns = HashMap<Arc<str>, Value>;

/// Callables that need the evaluator.
pub(crate) enum Callable {
    Builtin(&'static str),
    Def {
        def: Arc<DefNode>,
        template: Arc<TemplateInner>,
        frame: u64,
    },
    Lambda(Arc<LambdaDef>),
    Method(Value, Arc<str>),
}

impl Callable {
    /// A bound method holds its receiver.
    pub(crate) fn depth(&self) -> u32 {
        match self {
            Self::Method(v, _) => v.depth().saturating_add(1),
            _ => 0,
        }
    }

    pub(crate) fn repr(&self) -> String {
        match self {
            Self::Builtin(n) => format!("<built-in function {n}>"),
            Self::Def { def, .. } => format!("<TemplateDef {}>", def.name),
            Self::Lambda(l) => format!("<function {}>", l.name),
            Self::Method(v, n) => format!("<built-in method {n} of {} object>", v.type_name()),
        }
    }
}

static FRAME_IDS: AtomicU64 = AtomicU64::new(1);

struct Frame {
    id: u64,
    ns: Ns,
    template: Arc<TemplateInner>,
    inherit: Option<(Value, Pos)>,
    defs: Vec<(Arc<str>, Value)>,
}

/// The state of one `substitute` call.
pub(crate) struct State {
    frames: Vec<Frame>,
    frozen: HashMap<u64, Ns>,
    depth: usize,
    /// Work done so far: nodes, expressions, loop turns, and the size of
    /// ranges built.
    steps: u64,
    max_steps: u64,
}

/// The most work one rendering may do unless
/// [`TemplateBuilder::max_steps`](crate::TemplateBuilder::max_steps) says
/// otherwise: about a second of CPU time.
pub(crate) const DEFAULT_MAX_STEPS: u64 = 10_000_000;

/// Bytes of text built or written per step of work.
const BYTES_PER_STEP: usize = 16;

/// Calls (defs, lambdas) nested deeper than this fail with a RecursionError.
const MAX_DEPTH: usize = 40;

/// Stack that a rendering and every call (def, lambda) start with at least:
/// enough for one call's own frames and for showing, comparing or dropping
/// a value nested [`MAX_NESTING`] deep, in a debug build.
const STACK_RED_ZONE: usize = 1 << 20;

/// With less than [`STACK_RED_ZONE`] left, the work goes on in a new stack
/// segment of this size, taken from the heap: a template's recursion never
/// depends on how big the host thread's stack is (a Tokio worker's is 2 MiB).
const STACK_SEGMENT: usize = 4 << 20;

fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, f)
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// The `self` of an inheriting template: its body and its defs.
#[derive(Debug)]
struct TemplateObject {
    name: Option<String>,
    body: Value,
    defs: Vec<(Arc<str>, Value)>,
}

impl Object for TemplateObject {
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "body" => Some(self.body.clone()),
            "get" => Some(Value::from_object(Getter(self.defs.clone()))),
            _ => self
                .defs
                .iter()
                .find(|(n, _)| &**n == name)
                .map(|(_, v)| v.clone()),
        }
    }
    fn repr(&self) -> String {
        format!("<TemplateObject {}>", self.name.as_deref().unwrap_or("?"))
    }
}

/// `self.get`: defs by name, or the falsy [`Empty`].
#[derive(Debug)]
struct Getter(Vec<(Arc<str>, Value)>);

impl Object for Getter {
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(
            self.0
                .iter()
                .find(|(n, _)| &**n == name)
                .map_or_else(|| Value::from_object(Empty), |(_, v)| v.clone()),
        )
    }
}

/// A falsy, empty, callable nothing.
#[derive(Debug)]
pub(crate) struct Empty;

impl Object for Empty {
    fn call(&self, _: &[Value], _: &Kwargs) -> Option<Result<Value>> {
        Some(Ok(Value::from_object(Self)))
    }
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(Vec::new())
    }
    fn is_true(&self) -> bool {
        false
    }
    fn to_str(&self) -> String {
        String::new()
    }
    fn repr(&self) -> String {
        "Empty".to_owned()
    }
    fn html(&self) -> Option<String> {
        Some(String::new())
    }
}

fn type_err(msg: impl std::fmt::Display) -> Error {
    rt(ErrorKind::Type, msg)
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            frames: Vec::new(),
            frozen: HashMap::new(),
            depth: 0,
            steps: 0,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }

    /// This state, limited to `max_steps` of work.
    pub(crate) fn with_max_steps(mut self, max_steps: u64) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// Counts `n` steps of work; an error past the limit, so that no
    /// template runs for ever (`{{for i in range(10**7)}}` nested twice).
    pub(crate) fn charge(&mut self, n: u64) -> Result<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.max_steps {
            return Err(rt(
                ErrorKind::Overflow,
                format!(
                    "the template did more than {} steps of work (TemplateBuilder::max_steps sets the limit)",
                    self.max_steps
                ),
            ));
        }
        Ok(())
    }

    /// Counts `n` steps of work, `n` the length of something.
    fn charge_len(&mut self, n: usize) -> Result<()> {
        self.charge(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// Counts the work of text built or written: a step per 16 bytes.
    fn charge_text(&mut self, text: &str) -> Result<()> {
        self.charge_len(text.len() / BYTES_PER_STEP)
    }

    /// Counts the work of a value just built: a step per item of a list,
    /// tuple or dict and per 16 bytes of text. One step per operation
    /// would let a few steps move megabytes
    /// (`{{for i in range(1000)}}{{s * 1000000 % ()}}{{endfor}}`).
    fn charge_size(&mut self, v: &Value) -> Result<()> {
        match &v.0 {
            Repr::Str(s) | Repr::Markup(s) => self.charge_text(s),
            Repr::List(items) | Repr::Tuple(items) => self.charge_len(items.len()),
            Repr::Dict(d) => self.charge_len(d.entries.len()),
            _ => Ok(()),
        }
    }

    /// Counts, *before* it is made, the work of the text of a list, tuple
    /// or dict (`str()`, `repr()`, `%s`, writing it out): a step per item
    /// and per 16 bytes of the text inside, at every level. Counting after
    /// would be too late: `[s] * 1000000` is a million items, but its text
    /// is a million copies of `s`.
    pub(crate) fn charge_shown(&mut self, v: &Value) -> Result<()> {
        if matches!(v.0, Repr::List(_) | Repr::Tuple(_) | Repr::Dict(_)) {
            let budget = self.max_steps.saturating_sub(self.steps);
            self.charge(v.shown_cost(budget, BYTES_PER_STEP))?;
        }
        Ok(())
    }

    /// A binary operation, its work counted: `%` counts the text of its
    /// arguments before it formats them, and every result counts its size.
    fn binop(&mut self, op: BinOp, a: &Value, b: &Value) -> Result<Value> {
        let v = match (op, &a.0) {
            (BinOp::Mod, Repr::Str(s) | Repr::Markup(s)) => {
                self.charge_shown(b)?;
                crate::format::percent(self, s, b)?
            }
            // Counted before it is made: six bytes (`[0] * 999999`) ask
            // for a million items.
            (BinOp::Mul, _) if let Some(size) = repeated_size(a, b) => {
                self.charge(size)?;
                return binop(op, a, b);
            }
            _ => binop(op, a, b)?,
        };
        self.charge_size(&v)?;
        Ok(v)
    }

    /// Counts the work of formatting with a precision of `p`: a float's
    /// digits are made and trimmed one by one, whatever the length of the
    /// result (`'%.9999g' % x` is a few characters).
    pub(crate) fn charge_precision(&mut self, p: usize) -> Result<()> {
        self.charge_len(p / BYTES_PER_STEP)
    }

    fn frame(&self) -> &Frame {
        self.frames
            .last()
            .expect("a frame is always pushed while evaluating")
    }

    fn frame_mut(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("a frame is always pushed while evaluating")
    }

    fn positioned(&self, e: Error, pos: Pos) -> Error {
        let t = &self.frame().template;
        e.at(pos, t.name.as_deref(), &t.source)
    }

    /// Render a template with `ns`, following `inherit` to the parents.
    pub(crate) fn render(&mut self, template: &Arc<TemplateInner>, ns: Ns) -> Result<String> {
        with_stack(|| self.render_here(template, ns))
    }

    fn render_here(&mut self, template: &Arc<TemplateInner>, ns: Ns) -> Result<String> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(Error::new(
                ErrorKind::Other,
                "inheritance nested more than 32 deep (a loop?)",
            )
            .with_name(template.name.as_deref()));
        }
        let id = FRAME_IDS.fetch_add(1, AtomicOrdering::Relaxed);
        self.frames.push(Frame {
            id,
            ns,
            template: template.clone(),
            inherit: None,
            defs: Vec::new(),
        });
        let hint = template
            .last_len
            .load(AtomicOrdering::Relaxed)
            .max(template.source.len());
        let mut out = String::with_capacity(hint + hint / 8);
        let result = self.exec(&template.nodes, &mut out);
        template.last_len.store(out.len(), AtomicOrdering::Relaxed);
        let frame = self.frames.pop().expect("pushed above");
        result?;
        let inherit = match frame.inherit {
            Some((v, pos)) => Some((v.to_string(), Some(pos))),
            None => template.default_inherit.clone().map(|n| (n, None)),
        };
        let Some((parent_name, pos)) = inherit else {
            return Ok(out);
        };
        let at = |e: Error| match pos {
            Some(pos) => e.at(pos, template.name.as_deref(), &template.source),
            None => e.with_name(template.name.as_deref()),
        };
        let Some(loader) = template.loader.clone() else {
            return Err(at(Error::new(
                ErrorKind::TemplateNotFound,
                "You cannot use inheritance without passing in get_template",
            )));
        };
        let parent = loader
            .load(&parent_name, &crate::Template::from_inner(template.clone()))
            .map_err(at)?;
        let body = if template.html {
            Value::safe(out)
        } else {
            Value::from(out)
        };
        let self_obj = TemplateObject {
            name: template.name.clone(),
            body,
            defs: frame.defs,
        };
        let mut ns = frame.ns.clone();
        self.frozen.insert(frame.id, frame.ns);
        ns.insert("self".into(), Value::from_object(self_obj));
        self.render(&parent.into_inner(), ns)
    }

    /// Evaluate the first expression node of `template` (see [`crate::eval`]).
    pub(crate) fn eval_first(&mut self, template: &Arc<TemplateInner>, ns: Ns) -> Result<Value> {
        with_stack(|| self.eval_first_here(template, ns))
    }

    fn eval_first_here(&mut self, template: &Arc<TemplateInner>, ns: Ns) -> Result<Value> {
        let Some(Node::Expr { pos, expr, filters }) = template.nodes.first() else {
            return Err(Error::new(ErrorKind::Syntax, "not an expression"));
        };
        self.frames.push(Frame {
            id: 0,
            ns,
            template: template.clone(),
            inherit: None,
            defs: Vec::new(),
        });
        let result = (|| {
            let mut v = self.eval(expr)?;
            for f in filters {
                let func = self.eval(f)?;
                v = self.call(&func, vec![v], Kwargs::default())?;
            }
            Ok(v)
        })()
        .map_err(|e| self.positioned(e, *pos));
        self.frames.pop();
        result
    }

    fn exec(&mut self, nodes: &[Node], out: &mut String) -> Result<Flow> {
        for node in nodes {
            self.charge(1)?;
            match node {
                Node::Text(t) => {
                    out.push_str(t);
                    self.charge_text(t)?;
                }
                Node::Expr { pos, expr, filters } => {
                    self.expr_node(expr, filters, out)
                        .map_err(|e| self.positioned(e, *pos))?;
                }
                Node::If(branches) => {
                    for b in branches {
                        let take = match &b.cond {
                            Some(c) => self
                                .eval(c)
                                .map_err(|e| self.positioned(e, b.pos))?
                                .is_true(),
                            None => true,
                        };
                        if take {
                            match self.exec(&b.body, out)? {
                                Flow::Normal => break,
                                flow => return Ok(flow),
                            }
                        }
                    }
                }
                Node::For {
                    pos,
                    target,
                    iter,
                    body,
                } => {
                    let seq = self
                        .eval(iter)
                        .and_then(|v| self.iterate(&v))
                        .map_err(|e| self.positioned(e, *pos))?;
                    // `iterate` counted a step per turn.
                    for item in seq.iter() {
                        self.assign(target, item.clone())
                            .map_err(|e| self.positioned(e, *pos))?;
                        match self.exec(body, out)? {
                            Flow::Break => break,
                            Flow::Normal | Flow::Continue => {}
                        }
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
                Node::Py { stmts } => {
                    for (pos, s) in stmts {
                        self.stmt(s).map_err(|e| self.positioned(e, *pos))?;
                    }
                }
                Node::Default { pos, name, expr } => {
                    if self.lookup(name).is_none() {
                        let v = self.eval(expr).map_err(|e| self.positioned(e, *pos))?;
                        self.frame_mut().ns.insert(name.clone(), v);
                    }
                }
                Node::Inherit { pos, expr } => {
                    let v = self.eval(expr).map_err(|e| self.positioned(e, *pos))?;
                    self.frame_mut().inherit = Some((v, *pos));
                }
                Node::Def(def) => {
                    let frame = self.frame();
                    let v = Value(Repr::Callable(Arc::new(Callable::Def {
                        def: def.clone(),
                        template: frame.template.clone(),
                        frame: frame.id,
                    })));
                    let frame = self.frame_mut();
                    frame.ns.insert(def.name.clone(), v.clone());
                    frame.defs.retain(|(n, _)| *n != def.name);
                    frame.defs.push((def.name.clone(), v));
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn expr_node(&mut self, expr: &Expr, filters: &[Expr], out: &mut String) -> Result<()> {
        let mut v = self.eval(expr)?;
        for f in filters {
            let func = self.eval(f)?;
            v = self.call(&func, vec![v], Kwargs::default())?;
        }
        let html = self.frame().template.html;
        let before = out.len();
        self.write_value(&v, html, out)?;
        self.charge_len((out.len() - before) / BYTES_PER_STEP)
    }

    fn write_value(&mut self, v: &Value, html: bool, out: &mut String) -> Result<()> {
        match &v.0 {
            Repr::None => {}
            Repr::Str(s) if !html => out.push_str(s),
            Repr::Str(s) => html::escape_into(s, out),
            Repr::Markup(s) => out.push_str(s),
            Repr::Int(i) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{i}");
            }
            Repr::Callable(c) if matches!(**c, Callable::Def { .. }) => {
                let r = self.call(v, Vec::new(), Kwargs::default())?;
                self.write_value(&r, html, out)?;
            }
            Repr::Object(o) if html && o.html().is_some() => {
                out.push_str(&o.html().unwrap_or_default());
            }
            _ => {
                self.charge_shown(v)?;
                if html {
                    html::escape_into(&v.to_string(), out);
                } else {
                    out.push_str(&v.to_string());
                }
            }
        }
        Ok(())
    }

    /// `str(v)`, rendering defs.
    pub(crate) fn str_of(&mut self, v: &Value) -> Result<String> {
        if let Repr::Callable(c) = &v.0
            && matches!(**c, Callable::Def { .. })
        {
            let r = self.call(v, Vec::new(), Kwargs::default())?;
            return Ok(r.to_string());
        }
        self.charge_shown(v)?;
        Ok(v.to_string())
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        let frame = self.frame();
        if let Some(v) = frame.ns.get(name) {
            return Some(v.clone());
        }
        if let Some(v) = frame.template.namespace.get(name) {
            return Some(v.clone());
        }
        match name {
            "start_braces" => Some(frame.template.delimiters.0.as_str().into()),
            "end_braces" => Some(frame.template.delimiters.1.as_str().into()),
            "__template_name__" => Some(frame.template.name.as_deref().into()),
            _ => builtins::lookup(name),
        }
    }

    fn stmt(&mut self, s: &Stmt) -> Result<()> {
        match s {
            Stmt::Pass => Ok(()),
            Stmt::Expr(e) => self.eval(e).map(drop),
            Stmt::Assign(targets, e) => {
                let v = self.eval(e)?;
                for t in targets {
                    match t {
                        AssignTarget::Target(t) => self.assign(t, v.clone())?,
                        AssignTarget::Item(obj, key) => self.assign_item(obj, key, v.clone())?,
                    }
                }
                Ok(())
            }
            Stmt::AugAssign(name, op, e) => {
                let cur = self.lookup(name).ok_or_else(|| undefined(name))?;
                let rhs = self.eval(e)?;
                let v = self.binop(*op, &cur, &rhs)?;
                self.frame_mut().ns.insert(name.clone(), v);
                Ok(())
            }
        }
    }

    fn assign_item(&mut self, obj: &Expr, key: &Expr, v: Value) -> Result<()> {
        let Expr::Name(name) = obj else {
            return Err(rt(
                ErrorKind::Type,
                "item assignment works on names only, as in d[key] = value",
            ));
        };
        let key = self.eval(key)?;
        let mut container = self.lookup(name).ok_or_else(|| undefined(name))?;
        match &mut container.0 {
            Repr::Dict(d) => Arc::make_mut(d).insert(key, v),
            Repr::List(l) => {
                let len = l.len();
                let i = index_of(&key, len)?;
                Arc::make_mut(l).set(i, v);
            }
            _ => {
                return Err(type_err(format!(
                    "'{}' object does not support item assignment",
                    container.type_name()
                )));
            }
        }
        let container = nested(container)?;
        self.frame_mut().ns.insert(name.clone(), container);
        Ok(())
    }

    fn assign(&mut self, target: &Target, v: Value) -> Result<()> {
        match target {
            Target::Name(n) => {
                self.frame_mut().ns.insert(n.clone(), v);
                Ok(())
            }
            Target::Tuple(targets) => {
                let items = self.iterate(&v)?;
                if items.len() < targets.len() {
                    return Err(rt(
                        ErrorKind::Value,
                        format!(
                            "not enough values to unpack (expected {}, got {})",
                            targets.len(),
                            items.len()
                        ),
                    ));
                }
                if items.len() > targets.len() {
                    return Err(rt(
                        ErrorKind::Value,
                        format!("too many values to unpack (expected {})", targets.len()),
                    ));
                }
                for (t, item) in targets.iter().zip(items.iter()) {
                    self.assign(t, item.clone())?;
                }
                Ok(())
            }
        }
    }

    /// The items of an iterable value, a step of work each, counted before
    /// they are made (a string's, as many as its bytes): `f(*s)` with a
    /// 600 KB `s` made 600,000 arguments on one step.
    pub(crate) fn iterate(&mut self, v: &Value) -> Result<Arc<Seq>> {
        Ok(match &v.0 {
            Repr::List(l) | Repr::Tuple(l) => {
                self.charge_len(l.len())?;
                l.clone()
            }
            Repr::Str(s) | Repr::Markup(s) => {
                self.charge_len(s.len())?;
                Arc::new(s.chars().map(|c| Value::from(c.to_string())).collect())
            }
            Repr::Dict(d) => {
                self.charge_len(d.entries.len())?;
                Arc::new(d.entries.iter().map(|(k, _)| k.clone()).collect())
            }
            Repr::Object(o) => match o.iterate() {
                Some(items) => {
                    self.charge_len(items.len())?;
                    Arc::new(items.into())
                }
                None => return Err(type_err(format!("'{}' object is not iterable", o.repr()))),
            },
            _ => {
                return Err(type_err(format!(
                    "'{}' object is not iterable",
                    v.type_name()
                )));
            }
        })
    }

    /// Evaluate an expression. No container it makes nests deeper than
    /// [`MAX_NESTING`]: the arms that can make one deeper than their
    /// operands check it. (Reading an attribute or item gives a value
    /// from inside one already checked, or the host's own; a bound
    /// method's receiver is never shown.)
    pub(crate) fn eval(&mut self, e: &Expr) -> Result<Value> {
        self.charge(1)?;
        match e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Name(n) => self.lookup(n).ok_or_else(|| undefined(n)),
            Expr::List(items) => nested(Value::list(self.eval_all(items)?)),
            Expr::Tuple(items) => {
                nested(Value(Repr::Tuple(Arc::new(self.eval_all(items)?.into()))))
            }
            Expr::Dict(pairs) => {
                let mut d = Dict::default();
                for (k, v) in pairs {
                    let k = self.eval(k)?;
                    let v = self.eval(v)?;
                    d.insert(k, v);
                }
                nested(Value(Repr::Dict(Arc::new(d))))
            }
            Expr::Attr(obj, name) => {
                let obj = self.eval(obj)?;
                get_attr(&obj, name)
            }
            Expr::Index(obj, key) => {
                let obj = self.eval(obj)?;
                let key = self.eval(key)?;
                get_item(&obj, &key)
            }
            Expr::Slice(obj, parts) => {
                let obj = self.eval(obj)?;
                let mut bounds = [None, None, None];
                for (b, p) in bounds.iter_mut().zip(parts) {
                    if let Some(p) = p {
                        let v = self.eval(p)?;
                        if !v.is_none() {
                            *b = Some(v.as_i64().ok_or_else(|| {
                                type_err("slice indices must be integers or None")
                            })?);
                        }
                    }
                }
                let v = slice(&obj, bounds)?;
                self.charge_size(&v)?;
                Ok(v)
            }
            Expr::Call(func, args) => {
                let (pos, kw) = self.eval_args(args)?;
                let v = if let Expr::Attr(obj, name) = &**func {
                    let obj = self.eval(obj)?;
                    self.call_method(&obj, name, pos, kw)?
                } else {
                    let f = self.eval(func)?;
                    self.call(&f, pos, kw)?
                };
                self.charge_size(&v)?;
                nested(v)
            }
            Expr::Neg(x) => {
                let v = self.eval(x)?;
                match v.as_number() {
                    Some(Num::Int(i)) => i.checked_neg().map(Value::from).ok_or_else(overflow),
                    Some(Num::Float(f)) => Ok((-f).into()),
                    None => Err(type_err(format!(
                        "bad operand type for unary -: '{}'",
                        v.type_name()
                    ))),
                }
            }
            Expr::Pos(x) => {
                let v = self.eval(x)?;
                match v.as_number() {
                    Some(Num::Int(i)) => Ok(i.into()),
                    Some(Num::Float(f)) => Ok(f.into()),
                    None => Err(type_err(format!(
                        "bad operand type for unary +: '{}'",
                        v.type_name()
                    ))),
                }
            }
            Expr::Not(x) => Ok((!self.eval(x)?.is_true()).into()),
            Expr::And(a, b) => {
                let a = self.eval(a)?;
                if a.is_true() { self.eval(b) } else { Ok(a) }
            }
            Expr::Or(a, b) => {
                let a = self.eval(a)?;
                if a.is_true() { Ok(a) } else { self.eval(b) }
            }
            Expr::IfElse(c, a, b) => {
                if self.eval(c)?.is_true() {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Bin(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                nested(self.binop(*op, &a, &b)?)
            }
            Expr::Compare(first, rest) => {
                let mut left = self.eval(first)?;
                for (op, right) in rest {
                    let right = self.eval(right)?;
                    if !self.compare(*op, &left, &right)? {
                        return Ok(false.into());
                    }
                    left = right;
                }
                Ok(true.into())
            }
            Expr::ListComp(elt, fors) => {
                let names = fors
                    .iter()
                    .flat_map(|f| target_names(&f.target))
                    .collect::<Vec<_>>();
                let saved: Vec<_> = names
                    .iter()
                    .map(|n| (n.clone(), self.frame().ns.get(n).cloned()))
                    .collect();
                let mut out = Vec::new();
                let result = self.comprehension(elt, fors, &mut out);
                let ns = &mut self.frame_mut().ns;
                for (n, v) in saved {
                    match v {
                        Some(v) => ns.insert(n, v),
                        None => ns.remove(&n),
                    };
                }
                result?;
                nested(Value::list(out))
            }
            Expr::Lambda(l) => Ok(Value(Repr::Callable(Arc::new(Callable::Lambda(l.clone()))))),
        }
    }

    fn comprehension(
        &mut self,
        elt: &Expr,
        fors: &[crate::expr::CompFor],
        out: &mut Vec<Value>,
    ) -> Result<()> {
        let Some((first, rest)) = fors.split_first() else {
            out.push(self.eval(elt)?);
            return Ok(());
        };
        let seq = self.eval(&first.iter).and_then(|v| self.iterate(&v))?;
        'items: for item in seq.iter() {
            self.assign(&first.target, item.clone())?;
            for c in &first.conds {
                if !self.eval(c)?.is_true() {
                    continue 'items;
                }
            }
            self.comprehension(elt, rest, out)?;
        }
        Ok(())
    }

    fn eval_all(&mut self, items: &[Expr]) -> Result<Vec<Value>> {
        items.iter().map(|e| self.eval(e)).collect()
    }

    fn eval_args(&mut self, args: &[Arg]) -> Result<(Vec<Value>, Kwargs)> {
        let mut pos = Vec::with_capacity(args.len());
        let mut kw = Kwargs::default();
        for a in args {
            match a {
                Arg::Pos(e) => pos.push(self.eval(e)?),
                Arg::Kw(n, e) => {
                    let v = self.eval(e)?;
                    if kw.get(n).is_some() {
                        return Err(rt(
                            ErrorKind::Syntax,
                            format!("keyword argument repeated: {n}"),
                        ));
                    }
                    kw.0.push((n.clone(), v));
                }
                Arg::Star(e) => {
                    let v = self.eval(e)?;
                    pos.extend(self.iterate(&v)?.iter().cloned());
                }
                Arg::StarStar(e) => {
                    let v = self.eval(e)?;
                    let Repr::Dict(d) = &v.0 else {
                        return Err(type_err(format!(
                            "argument after ** must be a mapping, not {}",
                            v.type_name()
                        )));
                    };
                    for (k, v) in &d.entries {
                        let Some(k) = k.as_str() else {
                            return Err(type_err("keywords must be strings"));
                        };
                        kw.0.push((k.into(), v.clone()));
                    }
                }
            }
        }
        Ok((pos, kw))
    }

    /// Call any callable value.
    pub(crate) fn call(&mut self, f: &Value, args: Vec<Value>, kw: Kwargs) -> Result<Value> {
        match &f.0 {
            Repr::Function(func) => (func.f)(&args, &kw),
            Repr::Callable(c) => match &**c {
                Callable::Builtin(name) => builtins::call(self, name, args, &kw),
                Callable::Def {
                    def,
                    template,
                    frame,
                } => with_stack(|| self.call_def(def, template, *frame, args, kw)),
                Callable::Lambda(l) => with_stack(|| self.call_lambda(l, args, kw)),
                Callable::Method(obj, name) => self.call_method(obj, name, args, kw),
            },
            Repr::Object(o) => match o.call(&args, &kw) {
                Some(r) => r,
                None => Err(type_err(format!("'{}' object is not callable", o.repr()))),
            },
            _ => Err(type_err(format!(
                "'{}' object is not callable",
                f.type_name()
            ))),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(rt(
                ErrorKind::Other,
                "RecursionError: maximum recursion depth exceeded",
            ));
        }
        Ok(())
    }

    fn bind(
        &mut self,
        name: &str,
        params: &Params,
        mut args: Vec<Value>,
        kw: Kwargs,
        ns: &mut Ns,
    ) -> Result<()> {
        let n = params.names.len();
        if args.len() > n && params.varargs.is_none() {
            return Err(type_err(format!(
                "{name}() takes {n} positional argument{} but {} were given",
                if n == 1 { "" } else { "s" },
                args.len()
            )));
        }
        let extra = if args.len() > n {
            args.split_off(n)
        } else {
            Vec::new()
        };
        let mut given: Vec<Option<Value>> = args.into_iter().map(Some).collect();
        given.resize(n, None);
        let mut extra_kw = Dict::default();
        for (k, v) in kw.0 {
            match params.names.iter().position(|(p, _)| *p == k) {
                Some(i) if given[i].is_some() => {
                    return Err(type_err(format!(
                        "{name}() got multiple values for argument '{k}'"
                    )));
                }
                Some(i) => given[i] = Some(v),
                None if params.varkw.is_some() => extra_kw.insert(Value::from(k), v),
                None => {
                    return Err(type_err(format!(
                        "{name}() got an unexpected keyword argument '{k}'"
                    )));
                }
            }
        }
        for ((pname, default), v) in params.names.iter().zip(given) {
            let v = match (v, default) {
                (Some(v), _) => v,
                (None, Some(d)) => self.eval(d)?,
                (None, None) => {
                    return Err(type_err(format!(
                        "{name}() missing required argument: '{pname}'"
                    )));
                }
            };
            ns.insert(pname.clone(), v);
        }
        if let Some(va) = &params.varargs {
            ns.insert(va.clone(), Value(Repr::Tuple(Arc::new(extra.into()))));
        }
        if let Some(vk) = &params.varkw {
            ns.insert(vk.clone(), Value(Repr::Dict(Arc::new(extra_kw))));
        }
        Ok(())
    }

    fn call_def(
        &mut self,
        def: &Arc<DefNode>,
        template: &Arc<TemplateInner>,
        frame: u64,
        args: Vec<Value>,
        kw: Kwargs,
    ) -> Result<Value> {
        let ns = match self.frames.iter().rev().find(|f| f.id == frame) {
            Some(f) => f.ns.clone(),
            None => self.frozen.get(&frame).cloned().ok_or_else(|| {
                rt(
                    ErrorKind::Other,
                    format!("def {} called after its template finished", def.name),
                )
            })?,
        };
        self.enter()?;
        let id = FRAME_IDS.fetch_add(1, AtomicOrdering::Relaxed);
        self.frames.push(Frame {
            id,
            ns,
            template: template.clone(),
            inherit: None,
            defs: Vec::new(),
        });
        let mut ns = Ns::default();
        let result = self
            .bind(&def.name, &def.params, args, kw, &mut ns)
            .and_then(|()| {
                self.frame_mut().ns.extend(ns);
                let mut out = String::new();
                self.exec(&def.body, &mut out).map(|_| out)
            });
        let f = self.frames.pop().expect("pushed above");
        if !f.defs.is_empty() {
            self.frozen.insert(f.id, f.ns);
        }
        self.depth -= 1;
        let out = result?;
        Ok(if template.html {
            Value::safe(out)
        } else {
            Value::from(out)
        })
    }

    fn call_lambda(&mut self, l: &Arc<LambdaDef>, args: Vec<Value>, kw: Kwargs) -> Result<Value> {
        self.enter()?;
        let template = self.frame().template.clone();
        let id = FRAME_IDS.fetch_add(1, AtomicOrdering::Relaxed);
        self.frames.push(Frame {
            id,
            ns: Ns::default(),
            template,
            inherit: None,
            defs: Vec::new(),
        });
        let mut ns = Ns::default();
        let result = self
            .bind(&l.name, &l.params, args, kw, &mut ns)
            .and_then(|()| {
                self.frame_mut().ns = ns;
                self.eval(&l.body)
            });
        self.frames.pop();
        self.depth -= 1;
        result
    }

    fn call_method(
        &mut self,
        obj: &Value,
        name: &str,
        args: Vec<Value>,
        kw: Kwargs,
    ) -> Result<Value> {
        if let Repr::Object(o) = &obj.0 {
            let any: &dyn std::any::Any = &**o;
            if let Some(pos) = any.downcast_ref::<LoopPos>()
                && matches!(name, "first_group" | "last_group")
            {
                kw.check(name, &["getter"])?;
                let getter = args
                    .first()
                    .or(kw.get("getter"))
                    .cloned()
                    .unwrap_or_default();
                let this = self.group_key(&getter, &pos.items[pos.index])?;
                let other = match pos.neighbour(name == "last_group") {
                    Some(v) => Some(self.group_key(&getter, v)?),
                    None => None,
                };
                return Ok(looper::group_boundary(&this, other.as_ref())?.into());
            }
            if let Some(r) = o.call_method(name, &args, &kw) {
                return r;
            }
            let f = o.get_attr(name).ok_or_else(|| no_attr(obj, name))?;
            return self.call(&f, args, kw);
        }
        if let Repr::Dict(d) = &obj.0
            && let Some(f) = d.get_str(name)
            && !builtins::is_method(obj, name)
        {
            let f = f.clone();
            return self.call(&f, args, kw);
        }
        builtins::call_method(self, obj, name, args, &kw)
    }

    fn group_key(&mut self, getter: &Value, item: &Value) -> Result<Value> {
        match &getter.0 {
            Repr::None => Ok(item.clone()),
            Repr::Str(g) if g.starts_with('.') => match g[1..].strip_suffix("()") {
                Some(method) => self.call_method(item, method, Vec::new(), Kwargs::default()),
                None => get_attr(item, &g[1..]),
            },
            Repr::Function(_) | Repr::Callable(_) | Repr::Object(_) => {
                self.call(getter, vec![item.clone()], Kwargs::default())
            }
            _ => get_item(item, getter),
        }
    }

    fn compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> Result<bool> {
        use std::cmp::Ordering::{Greater, Less};
        Ok(match op {
            CmpOp::Eq => a.py_eq(b),
            CmpOp::Ne => !a.py_eq(b),
            CmpOp::Lt => a.py_cmp(b, "<")? == Less,
            CmpOp::Le => a.py_cmp(b, "<=")? != Greater,
            CmpOp::Gt => a.py_cmp(b, ">")? == Greater,
            CmpOp::Ge => a.py_cmp(b, ">=")? != Less,
            CmpOp::In => contains(b, a)?,
            CmpOp::NotIn => !contains(b, a)?,
            CmpOp::Is => is(a, b),
            CmpOp::IsNot => !is(a, b),
        })
    }
}

fn target_names(t: &Target) -> Vec<Arc<str>> {
    match t {
        Target::Name(n) => vec![n.clone()],
        Target::Tuple(ts) => ts.iter().flat_map(target_names).collect(),
    }
}

pub(crate) fn undefined(name: &str) -> Error {
    rt(
        ErrorKind::Undefined,
        format!("name '{name}' is not defined"),
    )
}

fn overflow() -> Error {
    rt(ErrorKind::Overflow, "integer result too large")
}

fn no_attr(obj: &Value, name: &str) -> Error {
    rt(
        ErrorKind::Attribute,
        format!("'{}' object has no attribute '{name}'", obj.type_name()),
    )
}

fn is(a: &Value, b: &Value) -> bool {
    match (&a.0, &b.0) {
        (Repr::None, Repr::None) => true,
        (Repr::Bool(x), Repr::Bool(y)) => x == y,
        (Repr::Int(x), Repr::Int(y)) => x == y,
        (Repr::Str(x), Repr::Str(y)) => Arc::ptr_eq(x, y),
        (Repr::List(x), Repr::List(y)) | (Repr::Tuple(x), Repr::Tuple(y)) => Arc::ptr_eq(x, y),
        (Repr::Dict(x), Repr::Dict(y)) => Arc::ptr_eq(x, y),
        (Repr::Object(x), Repr::Object(y)) => std::ptr::addr_eq(Arc::as_ptr(x), Arc::as_ptr(y)),
        (Repr::Callable(x), Repr::Callable(y)) => Arc::ptr_eq(x, y),
        (Repr::Function(x), Repr::Function(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

pub(crate) fn contains(container: &Value, item: &Value) -> Result<bool> {
    Ok(match &container.0 {
        Repr::Str(s) | Repr::Markup(s) => match item.as_str() {
            Some(i) => s.contains(i),
            None => {
                return Err(type_err(format!(
                    "'in <string>' requires string as left operand, not {}",
                    item.type_name()
                )));
            }
        },
        Repr::List(l) | Repr::Tuple(l) => l.iter().any(|v| v.py_eq(item)),
        Repr::Dict(d) => d.get(item).is_some(),
        Repr::Object(o) => match o.iterate() {
            Some(items) => items.iter().any(|v| v.py_eq(item)),
            None => {
                return Err(type_err(format!(
                    "argument of type '{}' is not iterable",
                    o.repr()
                )));
            }
        },
        _ => {
            return Err(type_err(format!(
                "argument of type '{}' is not iterable",
                container.type_name()
            )));
        }
    })
}

pub(crate) fn get_attr(obj: &Value, name: &str) -> Result<Value> {
    match &obj.0 {
        Repr::Object(o) => o.get_attr(name).ok_or_else(|| no_attr(obj, name)),
        Repr::Dict(d) => match d.get_str(name) {
            Some(v) => Ok(v.clone()),
            None if builtins::is_method(obj, name) => Ok(Value(Repr::Callable(Arc::new(
                Callable::Method(obj.clone(), name.into()),
            )))),
            None => Err(no_attr(obj, name)),
        },
        _ if builtins::is_method(obj, name) => Ok(Value(Repr::Callable(Arc::new(
            Callable::Method(obj.clone(), name.into()),
        )))),
        Repr::Int(_) | Repr::Bool(_) if matches!(name, "real" | "numerator") => {
            Ok(obj.as_i64().unwrap_or(0).into())
        }
        _ => Err(no_attr(obj, name)),
    }
}

pub(crate) fn index_of(key: &Value, len: usize) -> Result<usize> {
    let Some(i) = key.as_i64() else {
        return Err(type_err(format!(
            "indices must be integers, not {}",
            key.type_name()
        )));
    };
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let j = if i < 0 { i + len_i } else { i };
    if j < 0 || j >= len_i {
        return Err(rt(ErrorKind::Index, "index out of range"));
    }
    Ok(usize::try_from(j).unwrap_or(0))
}

pub(crate) fn get_item(obj: &Value, key: &Value) -> Result<Value> {
    match &obj.0 {
        Repr::List(l) | Repr::Tuple(l) => Ok(l[index_of(key, l.len())?].clone()),
        Repr::Str(s) | Repr::Markup(s) => {
            let chars: Vec<char> = s.chars().collect();
            let i = index_of(key, chars.len())?;
            Ok(chars[i].to_string().into())
        }
        Repr::Dict(d) => d
            .get(key)
            .cloned()
            .ok_or_else(|| rt(ErrorKind::Key, key.repr())),
        Repr::Object(o) => o
            .get_item(key)
            .ok_or_else(|| rt(ErrorKind::Key, key.repr())),
        _ => Err(type_err(format!(
            "'{}' object is not subscriptable",
            obj.type_name()
        ))),
    }
}

/// The positions a slice `[start:stop:step]` of a sequence of `len` items
/// takes, in order, with Python's clamping of out-of-range bounds.
struct SliceIndices {
    next: i64,
    stop: i64,
    step: i64,
}

impl SliceIndices {
    fn new(len: usize, [start, stop, step]: [Option<i64>; 3]) -> Result<Self> {
        let step = step.unwrap_or(1);
        if step == 0 {
            return Err(rt(ErrorKind::Value, "slice step cannot be zero"));
        }
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let clamp = |v: Option<i64>, default: i64, lo: i64, hi: i64| match v {
            None => default,
            Some(v) if v < 0 => v.saturating_add(len).clamp(lo, hi),
            Some(v) => v.clamp(lo, hi),
        };
        let (next, stop) = if step > 0 {
            (clamp(start, 0, 0, len), clamp(stop, len, 0, len))
        } else {
            (
                clamp(start, len - 1, -1, len - 1),
                clamp(stop, -1, -1, len - 1),
            )
        };
        Ok(Self { next, stop, step })
    }
}

impl Iterator for SliceIndices {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let more = if self.step > 0 {
            self.next < self.stop
        } else {
            self.next > self.stop
        };
        if !more {
            return None;
        }
        let i = usize::try_from(self.next).ok()?;
        // Past the end of i64 there is nothing left to take.
        self.next = self.next.checked_add(self.step).unwrap_or(self.stop);
        Some(i)
    }
}

fn slice(obj: &Value, bounds: [Option<i64>; 3]) -> Result<Value> {
    match &obj.0 {
        Repr::List(l) => Ok(Value::list(
            SliceIndices::new(l.len(), bounds)?
                .map(|i| l[i].clone())
                .collect(),
        )),
        Repr::Tuple(l) => Ok(Value::tuple(
            SliceIndices::new(l.len(), bounds)?.map(|i| l[i].clone()),
        )),
        Repr::Str(s) | Repr::Markup(s) => Ok(slice_str(s, bounds)?.into()),
        _ => Err(type_err(format!(
            "'{}' object is not subscriptable",
            obj.type_name()
        ))),
    }
}

/// A slice of a string, counted in characters as Python does.
fn slice_str(s: &str, bounds: [Option<i64>; 3]) -> Result<String> {
    let ascii = s.is_ascii();
    let len = if ascii { s.len() } else { s.chars().count() };
    let indices = SliceIndices::new(len, bounds)?;
    if indices.step == 1 {
        // A run of characters: one copy of the bytes between two offsets.
        let start = usize::try_from(indices.next).unwrap_or(0);
        let stop = usize::try_from(indices.stop).unwrap_or(0).max(start);
        if ascii {
            return Ok(s[start..stop].to_owned());
        }
        let mut offsets = s.char_indices().map(|(i, _)| i).chain([s.len()]);
        let from = offsets.nth(start).unwrap_or(s.len());
        let to = match stop - start {
            0 => from,
            n => offsets.nth(n - 1).unwrap_or(s.len()),
        };
        return Ok(s[from..to].to_owned());
    }
    if ascii {
        let bytes = s.as_bytes();
        return Ok(indices.map(|i| char::from(bytes[i])).collect());
    }
    let chars: Vec<char> = s.chars().collect();
    Ok(indices.map(|i| chars[i]).collect())
}

fn unsupported(op: &str, a: &Value, b: &Value) -> Error {
    type_err(format!(
        "unsupported operand type(s) for {op}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

/// The largest string or list a template may build by repetition or padding.
pub(crate) const MAX_SIZE: usize = 1_000_000;

/// An error unless `n` is a size a template may build.
pub(crate) fn check_size(n: usize) -> Result<usize> {
    if n > MAX_SIZE {
        return Err(rt(
            ErrorKind::Overflow,
            format!("result too large for a template ({n} > {MAX_SIZE})"),
        ));
    }
    Ok(n)
}

/// The size, in steps, of `a * b` when it repeats a string (a step per 16
/// bytes) or a list or tuple (a step per item).
fn repeated_size(a: &Value, b: &Value) -> Option<u64> {
    let (seq, n) = match (&a.0, &b.0) {
        (Repr::Str(_) | Repr::List(_) | Repr::Tuple(_), _) => (a, b.as_i64()?),
        (_, Repr::Str(_)) => (b, a.as_i64()?),
        _ => return None,
    };
    let n = u64::try_from(n).unwrap_or(0);
    let len = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Some(match &seq.0 {
        Repr::Str(s) => len(s.len()).saturating_mul(n) / len(BYTES_PER_STEP),
        Repr::List(l) | Repr::Tuple(l) => len(l.len()).saturating_mul(n),
        _ => 0,
    })
}

/// `v`, unless it nests containers past [`MAX_NESTING`]: such a value
/// fails here, before anything recursive (showing, comparing, dropping)
/// walks it.
#[inline(always)]
fn nested(v: Value) -> Result<Value> {
    if v.depth() > MAX_NESTING {
        return Err(too_deep());
    }
    Ok(v)
}

/// Values the host gives (a context, a namespace) nest no deeper than
/// what templates may make.
pub(crate) fn check_host_values(ns: &Ns) -> Result<()> {
    match ns.iter().find(|(_, v)| v.depth() > MAX_NESTING) {
        Some((name, _)) => Err(rt(
            ErrorKind::Other,
            format!("the value of {name} nests containers more than {MAX_NESTING} deep"),
        )),
        None => Ok(()),
    }
}

#[cold]
fn too_deep() -> Error {
    rt(
        ErrorKind::Other,
        format!(
            "RecursionError: maximum nesting depth exceeded (containers nested more than {MAX_NESTING} deep)"
        ),
    )
}

fn repeat(items: &[Value], n: i64) -> Result<Vec<Value>> {
    if items.is_empty() {
        // `() * 10**17` is empty at once, not after 10**17 turns.
        return Ok(Vec::new());
    }
    let n = usize::try_from(n).unwrap_or(0);
    let mut out = Vec::with_capacity(check_size(items.len().saturating_mul(n))?);
    for _ in 0..n {
        out.extend_from_slice(items);
    }
    Ok(out)
}

pub(crate) fn binop(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    let sym = match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
    };
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return num_op(op, x, y, sym, a, b);
    }
    match (op, &a.0, &b.0) {
        (BinOp::Add, Repr::Markup(x), Repr::Markup(y)) => Ok(Value::safe(format!("{x}{y}"))),
        (BinOp::Add, Repr::Str(x) | Repr::Markup(x), Repr::Str(y) | Repr::Markup(y)) => {
            Ok(Value::from(format!("{x}{y}")))
        }
        (BinOp::Add, Repr::Str(_), _) => Err(type_err(format!(
            "can only concatenate str (not \"{}\") to str",
            b.type_name()
        ))),
        (BinOp::Add, Repr::List(x), Repr::List(y)) => {
            Ok(Value::list(x.iter().chain(y.iter()).cloned().collect()))
        }
        (BinOp::Add, Repr::Tuple(x), Repr::Tuple(y)) => {
            Ok(Value::tuple(x.iter().chain(y.iter()).cloned()))
        }
        (BinOp::Mul, Repr::Str(s), _) | (BinOp::Mul, _, Repr::Str(s)) => {
            let n = if matches!(a.0, Repr::Str(_)) {
                b.as_i64()
            } else {
                a.as_i64()
            };
            match n {
                Some(n) => {
                    let n = usize::try_from(n).unwrap_or(0);
                    check_size(s.len().saturating_mul(n))?;
                    Ok(s.repeat(n).into())
                }
                None => Err(unsupported(sym, a, b)),
            }
        }
        (BinOp::Mul, Repr::List(l), _) if b.as_i64().is_some() => {
            Ok(Value::list(repeat(l, b.as_i64().unwrap_or(0))?))
        }
        (BinOp::Mul, Repr::Tuple(l), _) if b.as_i64().is_some() => {
            Ok(Value::tuple(repeat(l, b.as_i64().unwrap_or(0))?))
        }
        _ => Err(unsupported(sym, a, b)),
    }
}

fn num_op(op: BinOp, x: Num, y: Num, sym: &str, a: &Value, b: &Value) -> Result<Value> {
    let zero = || rt(ErrorKind::ZeroDivision, "division by zero");
    if let (Num::Int(x), Num::Int(y)) = (x, y) {
        return match op {
            BinOp::Add => x.checked_add(y).map(Value::from).ok_or_else(overflow),
            BinOp::Sub => x.checked_sub(y).map(Value::from).ok_or_else(overflow),
            BinOp::Mul => x.checked_mul(y).map(Value::from).ok_or_else(overflow),
            #[allow(clippy::cast_precision_loss)]
            BinOp::Div => {
                if y == 0 {
                    Err(zero())
                } else {
                    Ok((x as f64 / y as f64).into())
                }
            }
            BinOp::FloorDiv => {
                if y == 0 {
                    return Err(rt(
                        ErrorKind::ZeroDivision,
                        "integer division or modulo by zero",
                    ));
                }
                x.checked_div_euclid(y)
                    .ok_or_else(overflow)
                    .map(|_| Value::from(x.div_floor_py(y)))
            }
            BinOp::Mod => {
                if y == 0 {
                    return Err(rt(ErrorKind::ZeroDivision, "integer modulo by zero"));
                }
                let r = x.wrapping_rem(y);
                Ok(Value::from(if r != 0 && ((r < 0) != (y < 0)) {
                    r + y
                } else {
                    r
                }))
            }
            BinOp::Pow => {
                if y < 0 {
                    #[allow(clippy::cast_precision_loss)]
                    return Ok((x as f64).powf(y as f64).into());
                }
                u32::try_from(y)
                    .ok()
                    .and_then(|y| x.checked_pow(y))
                    .map(Value::from)
                    .ok_or_else(overflow)
            }
        };
    }
    let (x, y) = (x.as_f64(), y.as_f64());
    let _ = (sym, a, b);
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return Err(rt(ErrorKind::ZeroDivision, "float division by zero"));
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return Err(rt(ErrorKind::ZeroDivision, "float floor division by zero"));
            }
            (x / y).floor()
        }
        BinOp::Mod => {
            if y == 0.0 {
                return Err(rt(ErrorKind::ZeroDivision, "float modulo"));
            }
            let r = x % y;
            if r != 0.0 && (r < 0.0) != (y < 0.0) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow => x.powf(y),
    }
    .into())
}

trait DivFloor {
    fn div_floor_py(self, y: Self) -> Self;
}

impl DivFloor for i64 {
    fn div_floor_py(self, y: Self) -> Self {
        let q = self.wrapping_div(y);
        if (self.wrapping_rem(y) != 0) && ((self < 0) != (y < 0)) {
            q - 1
        } else {
            q
        }
    }
}
