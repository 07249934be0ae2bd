fn main() {
    match greatgame::scenario::load(None) {
        Ok(l) => {
            let m = &l.model;
            println!("ok: {} vars, {} actors, {} turns, decision {}", m.vars.len(), m.actors.len(), m.turns, m.decision_turn);
        }
        Err(e) => eprintln!("{e}"),
    }
}
