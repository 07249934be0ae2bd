//! Compiled expressions: a tiny stack machine.
//!
//! Scenario expressions (`"0.4 * isisk_strength - 0.2 * ct_cooperation.intel_sharing"`)
//! are parsed, name-resolved and type-checked once, at load time, into a
//! [`Program`]: a flat list of [`Op`]s in reverse Polish order. Per trial the
//! engine only runs this list over a fixed-size stack — no strings, no maps,
//! no allocation. The load-time depth limit (64) bounds the stack.

/// Maximum nesting depth of an expression (a load-time limit).
pub const MAX_DEPTH: usize = 64;

/// Programs needing at most this many stack slots evaluate on a small array;
/// deeper ones (rare, hand-nested expressions) use a heap buffer.
const SMALL_STACK: usize = 12;

/// How many stack slots a balanced op list needs.
fn stack_need(ops: &[Op]) -> usize {
    let (mut sp, mut max) = (0i64, 0i64);
    for op in ops {
        sp += match op {
            Op::Const(_)
            | Op::Var(_)
            | Op::Param(_)
            | Op::Lever(_)
            | Op::LeverIs(..)
            | Op::EventCount(_)
            | Op::Chose(..)
            | Op::Turn
            | Op::Year
            | Op::PushMul(..) => 1,
            Op::Neg | Op::Not | Op::Abs | Op::Exp | Op::Ln | Op::Sqrt | Op::Logistic | Op::AddMul(..) => 0,
            Op::Clamp | Op::Select => -2,
            _ => -1,
        };
        max = max.max(sp);
    }
    max.max(1) as usize
}

/// One instruction. Booleans are carried as 0.0 / 1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Const(f64),
    /// State variable by index.
    Var(u16),
    /// Sampled uncertainty by index.
    Param(u16),
    /// Current numeric value of a lever (bool 0/1, level value, enum option index).
    Lever(u16),
    /// 1.0 if enum lever `.0` currently has option `.1`.
    LeverIs(u16, u16),
    /// Occurrences of an event so far in this trial.
    EventCount(u16),
    /// 1.0 if choice slot `.0` (an actor without lines, or one line of an actor) last picked action `.1`.
    Chose(u16, u16),
    /// Turns since the start (0 at the start date).
    Turn,
    /// Decimal year of the current turn (2021.5 for 2021 Q3).
    Year,
    Neg,
    Not,
    Add,
    Sub,
    Mul,
    /// Division; x / 0 yields 0 rather than infinity so state stays finite.
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Min,
    Max,
    Clamp,
    Abs,
    Exp,
    Ln,
    Sqrt,
    Logistic,
    /// Pops else, then, cond; pushes cond ? then : else.
    Select,
    /// Superinstruction: push `c × src` (from `Const(c) src Mul`).
    PushMul(f64, Src),
    /// Superinstruction: top += `c × src` (from `PushMul(c, src) Add`;
    /// `Sub` becomes `AddMul(-c, src)`).
    AddMul(f64, Src),
}

/// A value an expression loads (operand of the superinstructions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    Var(u16),
    Param(u16),
    Lever(u16),
    LeverIs(u16, u16),
    EventCount(u16),
}

impl Src {
    fn of(op: &Op) -> Option<Src> {
        match *op {
            Op::Var(i) => Some(Src::Var(i)),
            Op::Param(i) => Some(Src::Param(i)),
            Op::Lever(i) => Some(Src::Lever(i)),
            Op::LeverIs(i, o) => Some(Src::LeverIs(i, o)),
            Op::EventCount(i) => Some(Src::EventCount(i)),
            _ => None,
        }
    }

    #[inline(always)]
    fn load(self, env: &Env) -> f64 {
        match self {
            Src::Var(i) => env.vars[i as usize],
            Src::Param(i) => env.params[i as usize],
            Src::Lever(i) => env.levers[i as usize],
            Src::LeverIs(i, o) => {
                if env.levers[i as usize] == o as f64 {
                    1.0
                } else {
                    0.0
                }
            }
            Src::EventCount(i) => env.event_counts[i as usize] as f64,
        }
    }
}

/// Fuse `Const(c) load Mul` and a following `Add`/`Sub` into superinstructions.
/// Linear terms dominate scenario expressions, so this roughly halves the
/// number of dispatched operations without changing any result.
pub fn fuse(ops: Vec<Op>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        out.push(op);
        loop {
            let n = out.len();
            if n >= 3
                && let (Op::Const(c), Some(src), Op::Mul) = (out[n - 3], Src::of(&out[n - 2]), out[n - 1])
            {
                out.truncate(n - 3);
                out.push(Op::PushMul(c, src));
                continue;
            }
            if n >= 3
                && let (Some(src), Op::Const(c), Op::Mul) = (Src::of(&out[n - 3]), out[n - 2], out[n - 1])
            {
                out.truncate(n - 3);
                out.push(Op::PushMul(c, src));
                continue;
            }
            if n >= 2
                && let (Op::PushMul(c, src), Op::Add | Op::Sub) = (out[n - 2], out[n - 1])
                && n >= 3
            {
                let c = if out[n - 1] == Op::Sub { -c } else { c };
                out.truncate(n - 2);
                out.push(Op::AddMul(c, src));
                continue;
            }
            break;
        }
    }
    out
}

/// A compiled expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    ops: Vec<Op>,
    max_stack: usize,
}

/// Everything an expression may read. Borrowed from the trial's state.
pub struct Env<'a> {
    pub vars: &'a [f64],
    pub params: &'a [f64],
    pub levers: &'a [f64],
    pub event_counts: &'a [u32],
    pub choices: &'a [u8],
    pub turn: u32,
    pub year: f64,
}

impl Program {
    /// Wrap a compiled op list. The compiler guarantees the list is balanced
    /// (every op finds its operands and exactly one value remains).
    pub fn new(ops: Vec<Op>) -> Self {
        let max_stack = stack_need(&ops);
        Program { ops, max_stack }
    }

    pub fn constant(x: f64) -> Self {
        Program::new(vec![Op::Const(x)])
    }

    /// Whether the expression reads any lever, superinstructions included (for
    /// saying what a drift term is made of).
    pub fn reads_levers(&self) -> bool {
        self.ops.iter().any(|op| {
            matches!(
                op,
                Op::Lever(_)
                    | Op::LeverIs(..)
                    | Op::PushMul(_, Src::Lever(_) | Src::LeverIs(..))
                    | Op::AddMul(_, Src::Lever(_) | Src::LeverIs(..))
            )
        })
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The value if the program is a bare constant (lets the engine skip work).
    pub fn as_const(&self) -> Option<f64> {
        match self.ops.as_slice() {
            [Op::Const(x)] => Some(*x),
            _ => None,
        }
    }

    /// State variables this program reads (for the derivative table).
    pub fn vars_read(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Var(i) | Op::PushMul(_, Src::Var(i)) | Op::AddMul(_, Src::Var(i)) => Some(*i),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Evaluate. Never panics: the compiler guarantees stack balance and depth.
    #[inline]
    pub fn eval(&self, env: &Env) -> f64 {
        match self.ops.as_slice() {
            [Op::Const(x)] => *x,
            [Op::Var(i)] => env.vars[*i as usize],
            [Op::Param(i)] => env.params[*i as usize],
            _ if self.max_stack <= SMALL_STACK => self.run(env, &mut [0.0; SMALL_STACK]),
            _ => self.run(env, &mut vec![0.0; self.max_stack]),
        }
    }

    fn run(&self, env: &Env, stack: &mut [f64]) -> f64 {
        let mut sp = 0usize;
        macro_rules! push {
            ($x:expr) => {{
                stack[sp] = $x;
                sp += 1;
            }};
        }
        macro_rules! bin {
            (|$a:ident, $b:ident| $e:expr) => {{
                sp -= 1;
                let $b = stack[sp];
                let $a = stack[sp - 1];
                stack[sp - 1] = $e;
            }};
        }
        macro_rules! un {
            (|$a:ident| $e:expr) => {{
                let $a = stack[sp - 1];
                stack[sp - 1] = $e;
            }};
        }
        let b = |c: bool| if c { 1.0 } else { 0.0 };
        for op in &self.ops {
            match *op {
                Op::Const(x) => push!(x),
                Op::Var(i) => push!(env.vars[i as usize]),
                Op::Param(i) => push!(env.params[i as usize]),
                Op::Lever(i) => push!(env.levers[i as usize]),
                Op::LeverIs(i, o) => push!(b(env.levers[i as usize] == o as f64)),
                Op::EventCount(i) => push!(env.event_counts[i as usize] as f64),
                Op::Chose(a, k) => push!(b(env.choices[a as usize] == k as u8)),
                Op::Turn => push!(env.turn as f64),
                Op::Year => push!(env.year),
                Op::Neg => un!(|a| -a),
                Op::Not => un!(|a| b(a == 0.0)),
                Op::Abs => un!(|a| a.abs()),
                Op::Exp => un!(|a| a.min(700.0).exp()),
                Op::Ln => un!(|a| if a > 0.0 { a.ln() } else { -1e9 }),
                Op::Sqrt => un!(|a| a.max(0.0).sqrt()),
                Op::Logistic => un!(|a| 1.0 / (1.0 + (-a).min(700.0).exp())),
                Op::Add => bin!(|x, y| x + y),
                Op::Sub => bin!(|x, y| x - y),
                Op::Mul => bin!(|x, y| x * y),
                Op::Div => bin!(|x, y| if y == 0.0 { 0.0 } else { x / y }),
                Op::Pow => bin!(|x, y| {
                    let r = x.powf(y);
                    if r.is_finite() { r } else { 0.0 }
                }),
                Op::Lt => bin!(|x, y| b(x < y)),
                Op::Le => bin!(|x, y| b(x <= y)),
                Op::Gt => bin!(|x, y| b(x > y)),
                Op::Ge => bin!(|x, y| b(x >= y)),
                Op::Eq => bin!(|x, y| b(x == y)),
                Op::Ne => bin!(|x, y| b(x != y)),
                Op::And => bin!(|x, y| b(x != 0.0 && y != 0.0)),
                Op::Or => bin!(|x, y| b(x != 0.0 || y != 0.0)),
                Op::Min => bin!(|x, y| x.min(y)),
                Op::Max => bin!(|x, y| x.max(y)),
                Op::Clamp => {
                    sp -= 2;
                    let hi = stack[sp + 1];
                    let lo = stack[sp];
                    let x = stack[sp - 1];
                    stack[sp - 1] = x.max(lo).min(hi.max(lo));
                }
                Op::PushMul(c, src) => push!(c * src.load(env)),
                Op::AddMul(c, src) => un!(|a| a + c * src.load(env)),
                Op::Select => {
                    sp -= 2;
                    let e = stack[sp + 1];
                    let t = stack[sp];
                    let c = stack[sp - 1];
                    stack[sp - 1] = if c != 0.0 { t } else { e };
                }
            }
        }
        debug_assert_eq!(sp, 1);
        stack[0]
    }
}
