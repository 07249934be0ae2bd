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
/// deeper ones (rare, hand-nested expressions) use a heap buffer. A power of two, so that
/// [`Program::run_small`] can mask its stack indices instead of checking them.
const SMALL_STACK: usize = 16;

/// How many stack slots a balanced op list needs.
fn stack_need(ops: &[Op]) -> usize {
    let (mut sp, mut max) = (0i64, 0i64);
    for op in ops {
        let (pops, pushes) = op.stack_effect();
        sp += pushes as i64 - pops as i64;
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
    /// Superinstruction: top += `c` (from `Const(c) Add`, `Const(c) Sub` as `AddC(-c)`, and `Const(c) x Add`: IEEE
    /// addition is commutative and `x − c` is `x + (−c)`, so every result is bit-identical).
    AddC(f64),
    /// Superinstruction: top ×= `c` (from `Const(c) Mul`, and `Const(c) x Mul`: multiplication is commutative).
    MulC(f64),
    /// Superinstruction: top ×= `src` (from `src Mul`).
    MulS(Src),
    /// Superinstruction: top = min(top, `c`) (from `Const(c) Min`, operands in the same order).
    MinC(f64),
    /// Superinstruction: top = max(top, `c`) (from `Const(c) Max`).
    MaxC(f64),
}

impl Op {
    /// How many values an operator takes off the stack (it pushes one result): `Some(1)` to `Some(3)`, `None` for
    /// what is not a pure function of stack values (loads and the superinstructions, which read the state). The
    /// one table of arities: the interpreter's stack checks and the compiler's constant folding both read it.
    pub fn operands(&self) -> Option<usize> {
        match self {
            Op::Neg | Op::Not | Op::Abs | Op::Exp | Op::Ln | Op::Sqrt | Op::Logistic => Some(1),
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Pow
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Eq
            | Op::Ne
            | Op::And
            | Op::Or
            | Op::Min
            | Op::Max => Some(2),
            Op::Clamp | Op::Select => Some(3),
            Op::Const(_)
            | Op::Var(_)
            | Op::Param(_)
            | Op::Lever(_)
            | Op::LeverIs(..)
            | Op::EventCount(_)
            | Op::Chose(..)
            | Op::Turn
            | Op::Year
            | Op::PushMul(..)
            | Op::AddMul(..)
            | Op::AddC(_)
            | Op::MulC(_)
            | Op::MulS(_)
            | Op::MinC(_)
            | Op::MaxC(_) => None,
        }
    }

    /// The value a load or superinstruction reads from the state, if any.
    fn src(&self) -> Option<Src> {
        match *self {
            Op::PushMul(_, src) | Op::AddMul(_, src) | Op::MulS(src) => Some(src),
            ref op => Src::of(op),
        }
    }

    /// (values popped, values pushed) when the op runs.
    fn stack_effect(&self) -> (usize, usize) {
        match (self, self.operands()) {
            (_, Some(n)) => (n, 1),
            // The superinstructions that update the top in place; every other op without operands is a load.
            (Op::AddMul(..) | Op::AddC(_) | Op::MulC(_) | Op::MulS(_) | Op::MinC(_) | Op::MaxC(_), None) => (1, 1),
            (_, None) => (0, 1),
        }
    }
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
            // A load as the right operand of `+`, `−` or `×` (there is a left one: n ≥ 3 ops hold two operands).
            if n >= 3
                && let (Some(src), Op::Add | Op::Sub | Op::Mul) = (Src::of(&out[n - 2]), out[n - 1])
            {
                let op = match out[n - 1] {
                    Op::Add => Op::AddMul(1.0, src),
                    Op::Sub => Op::AddMul(-1.0, src),
                    _ => Op::MulS(src),
                };
                out.truncate(n - 2);
                out.push(op);
                continue;
            }
            // A constant as the right operand.
            if n >= 3
                && let (Op::Const(c), Op::Add | Op::Sub | Op::Mul | Op::Min | Op::Max) = (out[n - 2], out[n - 1])
            {
                let op = match out[n - 1] {
                    Op::Add => Op::AddC(c),
                    Op::Sub => Op::AddC(-c),
                    Op::Mul => Op::MulC(c),
                    Op::Min => Op::MinC(c),
                    _ => Op::MaxC(c),
                };
                out.truncate(n - 2);
                out.push(op);
                continue;
            }
            // A constant as the left operand of a commutative `+` or `×`: `c x op` becomes `x opC(c)`.
            if n >= 3
                && matches!(out[n - 1], Op::Add | Op::Mul)
                && let Some(j) = operand_start(&out[..n - 1])
                && j >= 1
                && let Op::Const(c) = out[j - 1]
            {
                let op = if out[n - 1] == Op::Add {
                    Op::AddC(c)
                } else {
                    Op::MulC(c)
                };
                out.truncate(n - 1);
                out.remove(j - 1);
                out.push(op);
                continue;
            }
            break;
        }
    }
    out
}

/// Where the last operand of `ops` (the shortest suffix that pushes one value) starts, if the ops hold one.
fn operand_start(ops: &[Op]) -> Option<usize> {
    let mut net = 0i64;
    for (k, op) in ops.iter().enumerate().rev() {
        let (pops, pushes) = op.stack_effect();
        net += pushes as i64 - pops as i64;
        if net == 1 {
            return Some(k);
        }
    }
    None
}

/// A compiled expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    ops: Vec<Op>,
    max_stack: usize,
    /// How [`Program::eval`] runs it, decided once in [`Program::new`].
    shape: Shape,
}

/// The evaluation strategy of a program. Every strategy performs the same floating-point operations in the same
/// order as the general stack machine, so results are bit-identical; they differ only in interpretation overhead.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Const(f64),
    Var(u16),
    Param(u16),
    /// `Const(c)` or `PushMul(c, src)` followed only by `AddMul`s: a running sum with no stack (most drift,
    /// effect and bonus expressions are linear).
    Linear,
    /// Checked by [`balanced_within`] to stay within the small stack and end with one value: run without bounds
    /// checks on the stack.
    Small,
    /// Anything else (deep hand-nested expressions, or an op list the checks cannot vouch for): the checked path.
    General,
}

/// Whether running `ops` never pops an empty stack, never needs more than `cap` slots, and leaves exactly one
/// value: what makes [`Program::run_small`]'s unchecked stack accesses sound.
fn balanced_within(ops: &[Op], cap: usize) -> bool {
    let mut sp = 0usize;
    for op in ops {
        let (pops, pushes) = op.stack_effect();
        if sp < pops {
            return false;
        }
        sp = sp - pops + pushes;
        if sp > cap {
            return false;
        }
    }
    sp == 1
}

fn shape_of(ops: &[Op]) -> Shape {
    match ops {
        [Op::Const(x)] => Shape::Const(*x),
        [Op::Var(i)] => Shape::Var(*i),
        [Op::Param(i)] => Shape::Param(*i),
        [Op::Const(_) | Op::PushMul(..), rest @ ..] if rest.iter().all(|op| matches!(op, Op::AddMul(..))) => {
            Shape::Linear
        }
        _ if balanced_within(ops, SMALL_STACK) => Shape::Small,
        _ => Shape::General,
    }
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
        let shape = shape_of(&ops);
        Program { ops, max_stack, shape }
    }

    pub fn constant(x: f64) -> Self {
        Program::new(vec![Op::Const(x)])
    }

    /// Whether the expression reads any lever, superinstructions included (for
    /// saying what a drift term is made of).
    pub fn reads_levers(&self) -> bool {
        self.ops
            .iter()
            .any(|op| matches!(op.src(), Some(Src::Lever(_) | Src::LeverIs(..))))
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
            .filter_map(|op| match op.src() {
                Some(Src::Var(i)) => Some(i),
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
        match self.shape {
            Shape::Const(x) => x,
            Shape::Var(i) => env.vars[i as usize],
            Shape::Param(i) => env.params[i as usize],
            Shape::Linear => self.run_linear(env),
            Shape::Small => self.run_small(env),
            Shape::General if self.max_stack <= SMALL_STACK => self.run(env, &mut [0.0; SMALL_STACK]),
            Shape::General => self.run(env, &mut vec![0.0; self.max_stack]),
        }
    }

    /// A linear program as a running sum: `first`, then `acc + c × src` per term, exactly the stack machine's
    /// `PushMul`/`Const` then `AddMul` arithmetic.
    #[inline]
    fn run_linear(&self, env: &Env) -> f64 {
        let (first, rest) = match self.ops.split_first() {
            Some((Op::Const(x), rest)) => (*x, rest),
            Some((Op::PushMul(c, src), rest)) => (c * src.load(env), rest),
            _ => unreachable!("Shape::Linear is only given to linear programs"),
        };
        let mut acc = first;
        for op in rest {
            if let Op::AddMul(c, src) = *op {
                acc += c * src.load(env);
            }
        }
        acc
    }

    /// The stack machine on a small array, with every stack index masked to the array (`& MASK`) so the compiler
    /// drops the bounds checks — in safe code. [`shape_of`] gives `Shape::Small` only to op lists that
    /// [`balanced_within`] proved never underflow, never exceed [`SMALL_STACK`] slots and end with one value, so
    /// the mask never changes an index; the ops and their arithmetic are those of [`Program::run`].
    fn run_small(&self, env: &Env) -> f64 {
        self.exec(env, &mut Masked([0.0; SMALL_STACK]))
    }

    /// The stack machine on a caller's buffer of at least `max_stack` slots, every access bounds-checked.
    fn run(&self, env: &Env, stack: &mut [f64]) -> f64 {
        self.exec(env, stack)
    }

    /// The one interpreter loop, generic over how a stack slot is reached ([`Slots`]): monomorphised once per
    /// stack kind, so the masked and the checked paths share every op's semantics without a runtime dispatch.
    #[inline(always)]
    fn exec<S: Slots + ?Sized>(&self, env: &Env, stack: &mut S) -> f64 {
        let mut sp = 0usize;
        macro_rules! at {
            ($i:expr) => {
                *stack.slot($i)
            };
        }
        macro_rules! push {
            ($x:expr) => {{
                at!(sp) = $x;
                sp += 1;
            }};
        }
        macro_rules! bin {
            (|$a:ident, $b:ident| $e:expr) => {{
                sp = sp.wrapping_sub(1);
                let $b = at!(sp);
                let $a = at!(sp.wrapping_sub(1));
                at!(sp.wrapping_sub(1)) = $e;
            }};
        }
        macro_rules! un {
            (|$a:ident| $e:expr) => {{
                let $a = at!(sp.wrapping_sub(1));
                at!(sp.wrapping_sub(1)) = $e;
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
                    sp = sp.wrapping_sub(2);
                    let hi = at!(sp + 1);
                    let lo = at!(sp);
                    let x = at!(sp.wrapping_sub(1));
                    at!(sp.wrapping_sub(1)) = x.max(lo).min(hi.max(lo));
                }
                Op::PushMul(c, src) => push!(c * src.load(env)),
                Op::AddMul(c, src) => un!(|a| a + c * src.load(env)),
                Op::AddC(c) => un!(|a| a + c),
                Op::MulC(c) => un!(|a| a * c),
                Op::MulS(src) => un!(|a| a * src.load(env)),
                Op::MinC(c) => un!(|a| a.min(c)),
                Op::MaxC(c) => un!(|a| a.max(c)),
                Op::Select => {
                    sp = sp.wrapping_sub(2);
                    let e = at!(sp + 1);
                    let t = at!(sp);
                    let c = at!(sp.wrapping_sub(1));
                    at!(sp.wrapping_sub(1)) = if c != 0.0 { t } else { e };
                }
            }
        }
        debug_assert_eq!(sp, 1);
        at!(0)
    }
}

/// How [`Program::exec`] reaches stack slot `i`.
trait Slots {
    fn slot(&mut self, i: usize) -> &mut f64;
}

/// The small stack of [`Shape::Small`] programs: indices masked to the array, so no bounds check (see
/// [`Program::run_small`] for why the mask never changes an index).
struct Masked([f64; SMALL_STACK]);

impl Slots for Masked {
    #[inline(always)]
    fn slot(&mut self, i: usize) -> &mut f64 {
        &mut self.0[i & (SMALL_STACK - 1)]
    }
}

/// Any other stack: checked indexing (an unbalanced op list panics rather than read out of bounds).
impl Slots for [f64] {
    #[inline(always)]
    fn slot(&mut self, i: usize) -> &mut f64 {
        &mut self[i]
    }
}
