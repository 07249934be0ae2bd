//! The scenario expression language: parse, resolve names, type-check, compile.
//!
//! Grammar (lowest precedence first):
//! ```text
//! expr    := 'if' expr 'then' expr 'else' expr | or
//! or      := and ('or' and)*
//! and     := not ('and' not)*
//! not     := 'not' not | cmp
//! cmp     := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?
//! sum     := product (('+'|'-') product)*
//! product := unary (('*'|'/') unary)*
//! unary   := '-' unary | power
//! power   := atom ('^' unary)?
//! atom    := number | 'true' | 'false' | name | name '.' name | name '(' args ')' | '(' expr ')'
//! ```
//! Two types: numbers and conditions (booleans). A condition may be used as a
//! number (true = 1, false = 0) so that `2.0 * recognition.conditional` reads
//! naturally; a number may never be used where a condition is required.

use crate::model::program::{MAX_DEPTH, Op, Program};

/// Result type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Bool,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Bool => "a condition (true/false)",
        }
    }
}

/// An error inside an expression string: byte offset within the string.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl ExprError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        ExprError {
            offset,
            message: message.into(),
            hint: None,
        }
    }
    fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

/// What a name in an expression refers to, as answered by the scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Symbol {
    Var(u16),
    Param(u16),
    /// Bool lever (typed as a condition).
    BoolLever(u16),
    /// Level lever (a number).
    LevelLever(u16),
    /// Enum lever: must be used as `lever.option`. Carries the option names.
    EnumLever(u16, Vec<String>),
    Event(u16),
    /// An actor: must be used as `actor.action`. Carries the action names.
    /// An actor: its index, its actions' ids, and the choice slot each action is chosen in (see
    /// [`crate::model::SlotDef`]).
    Actor(u16, Vec<String>, Vec<u16>),
}

/// Name lookup provided by the compiler. `candidates` feeds "did you mean" hints.
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<Symbol>;
    fn candidates(&self) -> Vec<String>;
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(&'static str),
    End,
}

struct Lexer<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
}

impl<'a> Lexer<'a> {
    fn run(src: &'a str) -> Result<Vec<(Tok, usize)>, ExprError> {
        let mut lx = Lexer { src, toks: Vec::new() };
        let bytes = src.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                i = number_end(bytes, i);
                let text = &src[start..i];
                let v: f64 = text
                    .parse()
                    .map_err(|_| ExprError::new(start, format!("`{text}` is not a number")))?;
                lx.toks.push((Tok::Num(v), start));
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                lx.toks.push((Tok::Ident(src[start..i].to_string()), start));
                continue;
            }
            let two = src.get(i..i + 2).unwrap_or("");
            let sym2 = ["<=", ">=", "==", "!=", "&&", "||"].into_iter().find(|s| *s == two);
            if let Some(s) = sym2 {
                let s = match s {
                    "&&" => "and",
                    "||" => "or",
                    s => s,
                };
                lx.toks.push((Tok::Sym(s), start));
                i += 2;
                continue;
            }
            let one = match c {
                b'+' => "+",
                b'-' => "-",
                b'*' => "*",
                b'/' => "/",
                b'^' => "^",
                b'(' => "(",
                b')' => ")",
                b',' => ",",
                b'.' => ".",
                b'<' => "<",
                b'>' => ">",
                b'!' => "not",
                _ => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(ExprError::new(i, format!("unexpected character `{ch}`"))
                        .hint("expressions use numbers, names, + - * / ^, comparisons, and/or/not, if-then-else and functions like min(a, b)"));
                }
            };
            lx.toks.push((Tok::Sym(one), start));
            i += 1;
        }
        lx.toks.push((Tok::End, lx.src.len()));
        Ok(lx.toks)
    }
}

/// Parsed expression tree (positions kept for error messages).
#[derive(Debug, Clone)]
enum Node {
    Num(f64),
    Bool(bool),
    Name(String, usize),
    Member(String, String, usize),
    Call(String, Vec<Node>, usize),
    Unary(&'static str, Box<Node>, usize),
    Binary(&'static str, Box<Node>, Box<Node>, usize),
    If(Box<Node>, Box<Node>, Box<Node>, usize),
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn at(&self) -> usize {
        self.toks[self.pos].1
    }
    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }
    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if x == k)
    }
    fn expect_sym(&mut self, s: &'static str) -> Result<(), ExprError> {
        if self.is_sym(s) {
            self.bump();
            Ok(())
        } else {
            Err(ExprError::new(
                self.at(),
                format!("expected `{s}`, found {}", describe(self.peek())),
            ))
        }
    }
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(
                ExprError::new(self.at(), format!("expression nested deeper than {MAX_DEPTH} levels"))
                    .hint("split it into simpler parts or remove redundant parentheses"),
            )
        } else {
            Ok(())
        }
    }

    fn expr(&mut self) -> Result<Node, ExprError> {
        self.enter()?;
        let r = if self.is_kw("if") {
            let at = self.at();
            self.bump();
            let c = self.expr()?;
            if !self.is_kw("then") {
                return Err(ExprError::new(
                    self.at(),
                    format!("expected `then`, found {}", describe(self.peek())),
                ));
            }
            self.bump();
            let t = self.expr()?;
            if !self.is_kw("else") {
                return Err(
                    ExprError::new(self.at(), format!("expected `else`, found {}", describe(self.peek())))
                        .hint("every `if c then a` needs an `else b`"),
                );
            }
            self.bump();
            let e = self.expr()?;
            Ok(Node::If(Box::new(c), Box::new(t), Box::new(e), at))
        } else {
            self.or()
        };
        self.depth -= 1;
        r
    }
    fn or(&mut self) -> Result<Node, ExprError> {
        let mut l = self.and()?;
        while self.is_kw("or") || self.is_sym("or") {
            let at = self.at();
            self.bump();
            let r = self.and()?;
            l = Node::Binary("or", Box::new(l), Box::new(r), at);
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Node, ExprError> {
        let mut l = self.not()?;
        while self.is_kw("and") || self.is_sym("and") {
            let at = self.at();
            self.bump();
            let r = self.not()?;
            l = Node::Binary("and", Box::new(l), Box::new(r), at);
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Node, ExprError> {
        if self.is_kw("not") || self.is_sym("not") {
            let at = self.at();
            self.bump();
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Node::Unary("not", Box::new(inner), at));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Node, ExprError> {
        let l = self.sum()?;
        for s in ["<", "<=", ">", ">=", "==", "!="] {
            if self.is_sym(s) {
                let at = self.at();
                self.bump();
                let r = self.sum()?;
                return Ok(Node::Binary(s, Box::new(l), Box::new(r), at));
            }
        }
        Ok(l)
    }
    fn sum(&mut self) -> Result<Node, ExprError> {
        let mut l = self.product()?;
        loop {
            let op = if self.is_sym("+") {
                "+"
            } else if self.is_sym("-") {
                "-"
            } else {
                break;
            };
            let at = self.at();
            self.bump();
            let r = self.product()?;
            l = Node::Binary(op, Box::new(l), Box::new(r), at);
        }
        Ok(l)
    }
    fn product(&mut self) -> Result<Node, ExprError> {
        let mut l = self.unary()?;
        loop {
            let op = if self.is_sym("*") {
                "*"
            } else if self.is_sym("/") {
                "/"
            } else {
                break;
            };
            let at = self.at();
            self.bump();
            let r = self.unary()?;
            l = Node::Binary(op, Box::new(l), Box::new(r), at);
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.is_sym("-") {
            let at = self.at();
            self.bump();
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Unary("-", Box::new(inner), at));
        }
        self.power()
    }
    fn power(&mut self) -> Result<Node, ExprError> {
        let base = self.atom()?;
        if self.is_sym("^") {
            let at = self.at();
            self.bump();
            self.enter()?;
            let exp = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Binary("^", Box::new(base), Box::new(exp), at));
        }
        Ok(base)
    }
    fn atom(&mut self) -> Result<Node, ExprError> {
        let at = self.at();
        match self.bump() {
            Tok::Num(v) => Ok(Node::Num(v)),
            Tok::Ident(name) => {
                match name.as_str() {
                    "true" => return Ok(Node::Bool(true)),
                    "false" => return Ok(Node::Bool(false)),
                    "then" | "else" | "and" | "or" | "if" => {
                        return Err(ExprError::new(at, format!("expected a value, found keyword `{name}`")));
                    }
                    _ => {}
                }
                if self.is_sym("(") {
                    self.bump();
                    self.enter()?;
                    let mut args = Vec::new();
                    if !self.is_sym(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.is_sym(",") {
                                self.bump();
                                continue;
                            }
                            break;
                        }
                    }
                    self.depth -= 1;
                    self.expect_sym(")")?;
                    return Ok(Node::Call(name, args, at));
                }
                if self.is_sym(".") {
                    self.bump();
                    let mat = self.at();
                    match self.bump() {
                        Tok::Ident(member) => return Ok(Node::Member(name, member, at)),
                        t => {
                            return Err(ExprError::new(
                                mat,
                                format!("expected a name after `{name}.`, found {}", describe(&t)),
                            ));
                        }
                    }
                }
                Ok(Node::Name(name, at))
            }
            Tok::Sym("(") => {
                let inner = self.expr()?;
                self.expect_sym(")")?;
                Ok(inner)
            }
            t => Err(ExprError::new(at, format!("expected a value, found {}", describe(&t)))),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(v) => format!("number `{v}`"),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::End => "the end of the expression".to_string(),
    }
}

/// Parse, resolve and type-check `src`, requiring result type `want`.
pub fn compile(src: &str, scope: &dyn Scope, want: Ty) -> Result<Program, ExprError> {
    let toks = Lexer::run(src)?;
    if toks.len() == 1 {
        return Err(
            ExprError::new(0, "empty expression").hint("write a number such as `0` or a condition such as `true`")
        );
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let node = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        return Err(ExprError::new(
            p.at(),
            format!("unexpected {} after a complete expression", describe(p.peek())),
        )
        .hint("an operator such as `+`, `*` or `and` may be missing"));
    }
    let mut ops = Vec::new();
    let ty = emit(&node, scope, &mut ops)?;
    if want == Ty::Bool && ty == Ty::Num {
        return Err(ExprError::new(0, "expected a condition (true/false), found a number")
            .hint("compare the value, e.g. `girls_schooling > 0.5`"));
    }
    Ok(Program::new(crate::model::program::fuse(fold_constants(ops))))
}

fn emit(n: &Node, scope: &dyn Scope, ops: &mut Vec<Op>) -> Result<Ty, ExprError> {
    match n {
        Node::Num(v) => {
            if !v.is_finite() {
                return Err(ExprError::new(0, "number is not finite"));
            }
            ops.push(Op::Const(*v));
            Ok(Ty::Num)
        }
        Node::Bool(b) => {
            ops.push(Op::Const(if *b { 1.0 } else { 0.0 }));
            Ok(Ty::Bool)
        }
        Node::Name(name, at) => match name.as_str() {
            "turn" => {
                ops.push(Op::Turn);
                Ok(Ty::Num)
            }
            "year" => {
                ops.push(Op::Year);
                Ok(Ty::Num)
            }
            _ => match scope.lookup(name) {
                Some(Symbol::Var(i)) => {
                    ops.push(Op::Var(i));
                    Ok(Ty::Num)
                }
                Some(Symbol::Param(i)) => {
                    ops.push(Op::Param(i));
                    Ok(Ty::Num)
                }
                Some(Symbol::BoolLever(i)) => {
                    ops.push(Op::Lever(i));
                    Ok(Ty::Bool)
                }
                Some(Symbol::LevelLever(i)) => {
                    ops.push(Op::Lever(i));
                    Ok(Ty::Num)
                }
                Some(Symbol::Event(i)) => {
                    ops.push(Op::EventCount(i));
                    Ok(Ty::Num)
                }
                Some(Symbol::EnumLever(_, opts)) => Err(ExprError::new(
                    *at,
                    format!("lever `{name}` has options; ask for one of them"),
                )
                .hint(format!("write `{name}.{}` (options: {})", opts[0], opts.join(", ")))),
                Some(Symbol::Actor(_, acts, _)) => Err(ExprError::new(
                    *at,
                    format!("`{name}` is an actor; ask about one of its actions"),
                )
                .hint(format!(
                    "write `{name}.{}` to test whether it chose that action (actions: {})",
                    acts[0],
                    acts.join(", ")
                ))),
                None => Err(unknown(name, *at, scope)),
            },
        },
        Node::Member(owner, member, at) => match scope.lookup(owner) {
            Some(Symbol::EnumLever(i, opts)) => match opts.iter().position(|o| o == member) {
                Some(k) => {
                    ops.push(Op::LeverIs(i, k as u16));
                    Ok(Ty::Bool)
                }
                None => Err(ExprError::new(*at, format!("lever `{owner}` has no option `{member}`"))
                    .hint(suggest_or_list(member, &opts))),
            },
            Some(Symbol::Actor(_, acts, slots)) => match acts.iter().position(|o| o == member) {
                Some(k) => {
                    ops.push(Op::Chose(slots[k], k as u16));
                    Ok(Ty::Bool)
                }
                None => Err(ExprError::new(*at, format!("actor `{owner}` has no action `{member}`"))
                    .hint(suggest_or_list(member, &acts))),
            },
            Some(_) => Err(ExprError::new(
                *at,
                format!("`{owner}` has no members; `.` is only for enum levers and actors"),
            )),
            None => Err(unknown(owner, *at, scope)),
        },
        Node::Call(f, args, at) => {
            let arity = match f.as_str() {
                "min" | "max" => 2,
                "clamp" => 3,
                "abs" | "exp" | "ln" | "sqrt" | "logistic" => 1,
                _ => {
                    let fs = ["min", "max", "clamp", "abs", "exp", "ln", "sqrt", "logistic"];
                    let fs: Vec<String> = fs.iter().map(|s| s.to_string()).collect();
                    return Err(ExprError::new(*at, format!("unknown function `{f}`")).hint(suggest_or_list(f, &fs)));
                }
            };
            if args.len() != arity {
                return Err(ExprError::new(
                    *at,
                    format!("`{f}` takes {arity} argument(s), got {}", args.len()),
                ));
            }
            for a in args {
                emit(a, scope, ops)?;
            }
            ops.push(match f.as_str() {
                "min" => Op::Min,
                "max" => Op::Max,
                "clamp" => Op::Clamp,
                "abs" => Op::Abs,
                "exp" => Op::Exp,
                "ln" => Op::Ln,
                "sqrt" => Op::Sqrt,
                _ => Op::Logistic,
            });
            Ok(Ty::Num)
        }
        Node::Unary(op, inner, at) => {
            let t = emit(inner, scope, ops)?;
            if *op == "not" {
                if t != Ty::Bool {
                    return Err(ExprError::new(*at, "`not` needs a condition, found a number")
                        .hint("compare the value first, e.g. `not (x > 0.5)`"));
                }
                ops.push(Op::Not);
                Ok(Ty::Bool)
            } else {
                ops.push(Op::Neg);
                Ok(Ty::Num)
            }
        }
        Node::Binary(op, l, r, at) => {
            let tl = emit(l, scope, ops)?;
            let tr = emit(r, scope, ops)?;
            match *op {
                "and" | "or" => {
                    for t in [tl, tr] {
                        if t != Ty::Bool {
                            return Err(ExprError::new(*at, format!("`{op}` joins conditions, found a number"))
                                .hint("compare the number first, e.g. `x > 0.5`"));
                        }
                    }
                    ops.push(if *op == "and" { Op::And } else { Op::Or });
                    Ok(Ty::Bool)
                }
                "<" | "<=" | ">" | ">=" | "==" | "!=" => {
                    ops.push(match *op {
                        "<" => Op::Lt,
                        "<=" => Op::Le,
                        ">" => Op::Gt,
                        ">=" => Op::Ge,
                        "==" => Op::Eq,
                        _ => Op::Ne,
                    });
                    Ok(Ty::Bool)
                }
                _ => {
                    ops.push(match *op {
                        "+" => Op::Add,
                        "-" => Op::Sub,
                        "*" => Op::Mul,
                        "/" => Op::Div,
                        _ => Op::Pow,
                    });
                    Ok(Ty::Num)
                }
            }
        }
        Node::If(c, t, e, at) => {
            if emit(c, scope, ops)? != Ty::Bool {
                return Err(ExprError::new(*at, "the condition after `if` is a number")
                    .hint("compare it, e.g. `if x > 0.5 then ...`"));
            }
            let tt = emit(t, scope, ops)?;
            let te = emit(e, scope, ops)?;
            ops.push(Op::Select);
            Ok(if tt == Ty::Bool && te == Ty::Bool {
                Ty::Bool
            } else {
                Ty::Num
            })
        }
    }
}

fn unknown(name: &str, at: usize, scope: &dyn Scope) -> ExprError {
    let cands = scope.candidates();
    let e = ExprError::new(at, format!("unknown name `{name}`"));
    match crate::scenario::diagnostics::closest(name, &cands) {
        Some(c) => e.hint(format!("did you mean `{c}`?")),
        None => e.hint("names are state variables, uncertainties, levers, events, `actor.action`, `turn` and `year`"),
    }
}

fn suggest_or_list(name: &str, options: &[String]) -> String {
    match crate::scenario::diagnostics::closest(name, options) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("choose one of: {}", options.join(", ")),
    }
}

/// Fold operations whose inputs are all constants (keeps per-trial work minimal).
fn fold_constants(ops: Vec<Op>) -> Vec<Op> {
    use crate::model::program::Env;
    let env = Env {
        vars: &[],
        params: &[],
        levers: &[],
        event_counts: &[],
        choices: &[],
        turn: 0,
        year: 0.0,
    };
    let mut out: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        if let Some(n) = op.operands() {
            let len = out.len();
            if len >= n && out[len - n..].iter().all(|o| matches!(o, Op::Const(_))) {
                let mut tail: Vec<Op> = out.split_off(len - n);
                tail.push(op);
                let v = Program::new(tail).eval(&env);
                out.push(Op::Const(v));
                continue;
            }
        }
        out.push(op);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::program::Env;

    struct S;
    impl Scope for S {
        fn lookup(&self, name: &str) -> Option<Symbol> {
            match name {
                "x" => Some(Symbol::Var(0)),
                "y" => Some(Symbol::Var(1)),
                "p" => Some(Symbol::Param(0)),
                "liaison" => Some(Symbol::BoolLever(0)),
                "recognition" => Some(Symbol::EnumLever(
                    1,
                    vec!["none".into(), "conditional".into(), "formal".into()],
                )),
                "pakistan" => Some(Symbol::Actor(0, vec!["hold".into(), "strike".into()], vec![0, 0])),
                "attack" => Some(Symbol::Event(0)),
                _ => None,
            }
        }
        fn candidates(&self) -> Vec<String> {
            ["x", "y", "p", "liaison", "recognition", "pakistan", "attack"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        }
    }

    fn ev(src: &str) -> f64 {
        let prog = compile(src, &S, Ty::Num).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        prog.eval(&Env {
            vars: &[2.0, 3.0],
            params: &[0.5],
            levers: &[1.0, 2.0],
            event_counts: &[4],
            choices: &[1],
            turn: 7,
            year: 2023.25,
        })
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(ev("1 + 2 * 3"), 7.0);
        assert_eq!(ev("(1 + 2) * 3"), 9.0);
        assert_eq!(ev("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(ev("-2 ^ 2"), -4.0);
        assert_eq!(ev("x * y - p"), 5.5);
        assert_eq!(ev("10 / 4"), 2.5);
        assert_eq!(ev("1 / 0"), 0.0);
        assert_eq!(ev("1e-2 * 100"), 1.0);
        assert_eq!(ev("turn + year"), 2030.25);
    }

    #[test]
    fn functions() {
        assert_eq!(ev("min(x, y) + max(x, y)"), 5.0);
        assert_eq!(ev("clamp(5, 0, 1)"), 1.0);
        assert_eq!(ev("logistic(0)"), 0.5);
        assert!((ev("exp(ln(3))") - 3.0).abs() < 1e-12);
        assert_eq!(ev("abs(-2) + sqrt(9)"), 5.0);
    }

    #[test]
    fn conditions_levers_actors_events() {
        assert_eq!(ev("if x > 1 then 10 else 20"), 10.0);
        assert_eq!(ev("2 * recognition.formal"), 2.0);
        assert_eq!(ev("2 * recognition.none"), 0.0);
        assert_eq!(ev("liaison and pakistan.strike"), 1.0);
        assert_eq!(ev("not pakistan.hold"), 1.0);
        assert_eq!(ev("attack"), 4.0);
        assert_eq!(ev("x > 1 && y < 2 || true"), 1.0);
    }

    #[test]
    fn constants_fold() {
        let p = compile("2 * (3 + 4) - logistic(0)", &S, Ty::Num).unwrap();
        assert_eq!(p.as_const(), Some(13.5));
        // `2 * x` fuses into one load-and-scale, `+ 12` into one add of a constant.
        let p = compile("2 * x + 3 * 4", &S, Ty::Num).unwrap();
        assert_eq!(p.ops().len(), 2);
    }

    fn err(src: &str, want: Ty) -> ExprError {
        compile(src, &S, want).expect_err(src)
    }

    #[test]
    fn errors_name_position_and_hint() {
        let e = err("2 * pakistn.strike", Ty::Num);
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("unknown name `pakistn`"));
        assert_eq!(e.hint.as_deref(), Some("did you mean `pakistan`?"));
        let e = err("recognition.formel", Ty::Num);
        assert!(e.hint.unwrap().contains("formal"));
        let e = err("recognition", Ty::Num);
        assert!(e.hint.unwrap().contains("recognition.none"));
        let e = err("x + 1", Ty::Bool);
        assert!(e.message.contains("expected a condition"));
        let e = err("if x then 1 else 2", Ty::Num);
        assert!(e.message.contains("condition after `if`"));
        let e = err("x and y", Ty::Bool);
        assert!(e.message.contains("joins conditions"));
        let e = err("foo(1)", Ty::Num);
        assert!(e.message.contains("unknown function"));
        let e = err("min(1)", Ty::Num);
        assert!(e.message.contains("2 argument"));
        let e = err("1 +", Ty::Num);
        assert_eq!(e.offset, 3);
        let e = err("1 2", Ty::Num);
        assert!(e.message.contains("after a complete expression"));
        let e = err("x # 2", Ty::Num);
        assert_eq!(e.offset, 2);
        let e = err("", Ty::Num);
        assert!(e.message.contains("empty"));
    }

    #[test]
    fn depth_limit() {
        let deep = format!("{}1{}", "(".repeat(70), ")".repeat(70));
        let e = err(&deep, Ty::Num);
        assert!(e.message.contains("deeper than 64"));
        let ok = format!("{}1{}", "(".repeat(30), ")".repeat(30));
        assert_eq!(ev(&ok), 1.0);
        let minus = "-".repeat(200) + "1";
        assert!(compile(&minus, &S, Ty::Num).is_err());
    }

    /// The program as the stack machine runs it before any superinstruction is fused (constants folded).
    fn unfused(src: &str) -> Program {
        let toks = Lexer::run(src).unwrap();
        let mut p = Parser { toks, pos: 0, depth: 0 };
        let node = p.expr().unwrap();
        let mut ops = Vec::new();
        emit(&node, &S, &mut ops).unwrap();
        Program::new(fold_constants(ops))
    }

    /// Random numeric expressions over the test scope's names, rich in the shapes [`fuse`] rewrites (scaled loads,
    /// constants on either side of `+`, `−`, `×`, `min`, `max`) and in the ops around them.
    ///
    /// [`fuse`]: crate::model::program::fuse
    fn expr_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            prop::sample::select(vec!["x", "y", "p", "attack", "turn", "year", "recognition.formal"])
                .prop_map(str::to_string),
            (-3i32..4, 0u32..4).prop_map(|(n, d)| format!("({}.{d}5)", n)),
            prop::sample::select(vec!["0", "1", "0.25", "2.5", "100"]).prop_map(str::to_string),
        ];
        leaf.prop_recursive(5, 40, 3, |e| {
            prop_oneof![
                (e.clone(), prop::sample::select(vec!["+", "-", "*", "/"]), e.clone())
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                (e.clone(), e.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
                (e.clone(), e.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
                (e.clone(), e.clone(), e.clone()).prop_map(|(a, b, c)| format!("clamp({a}, {b}, {c})")),
                (e.clone(), -2i32..3, 1i32..5).prop_map(|(a, lo, hi)| format!("clamp({a}, {lo}, {})", lo + hi)),
                (e.clone(), -2i32..3, 1i32..9).prop_map(|(a, c, k)| format!("(({a} + {c}) * {k})")),
                (e.clone(), 1i32..9).prop_map(|(a, k)| format!("(1 - {k} * {a})")),
                e.clone().prop_map(|a| format!("logistic({a})")),
                e.clone().prop_map(|a| format!("abs({a})")),
                e.clone().prop_map(|a| format!("-{a}")),
                (e.clone(), e.clone(), e.clone(), e)
                    .prop_map(|(a, b, c, d)| format!("(if {a} > {b} then {c} else {d})")),
            ]
        })
    }

    proptest::proptest! {
        /// Fusing superinstructions changes no result, bit for bit, whatever the values the program reads.
        #[test]
        fn superinstructions_give_the_unfused_result_bit_for_bit(
            src in expr_strategy(),
            x in -20.0f64..20.0,
            y in -20.0f64..20.0,
            p in -2.0f64..2.0,
        ) {
            let fused = compile(&src, &S, Ty::Num).unwrap();
            let plain = unfused(&src);
            let env = Env {
                vars: &[x, y],
                params: &[p],
                levers: &[1.0, 2.0],
                event_counts: &[4],
                choices: &[1],
                turn: 7,
                year: 2023.25,
            };
            let (a, b) = (fused.eval(&env), plain.eval(&env));
            proptest::prop_assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{src}: fused {a} ({:?}) vs unfused {b} ({:?})", fused.ops(), plain.ops()
            );
        }
    }
}

/// A numeric literal of an expression, for the coefficient register.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: f64,
    /// Byte range of the literal's text in the expression (no sign: a unary
    /// minus stays in the text, so replacing the range keeps the expression's
    /// shape).
    pub span: std::ops::Range<usize>,
    /// The token before it is `^` (an exponent: the shape of a curve, structural).
    pub exponent: bool,
}

/// Where the number starting at `i` ends: digits and dots, then an optional exponent (`e`, an optional sign,
/// digits). The lexer and [`literals`] both use it, so the register reads each number's text exactly as the
/// compiler does.
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = j;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

/// The numeric literals of `src` in order, or none if it does not lex (the
/// compiler reports that error). Uses the compiler's own lexer, so the
/// register sees exactly the numbers the compiled program holds.
pub fn literals(src: &str) -> Vec<Literal> {
    let Ok(toks) = Lexer::run(src) else {
        return Vec::new();
    };
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    for (k, (tok, start)) in toks.iter().enumerate() {
        if let Tok::Num(v) = tok {
            let i = number_end(bytes, *start);
            let exponent = k > 0 && toks[k - 1].0 == Tok::Sym("^");
            out.push(Literal {
                value: *v,
                span: *start..i,
                exponent,
            });
        }
    }
    out
}
