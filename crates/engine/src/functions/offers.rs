//! `basket_offers(baskets, rules, top)`: per basket, the items that rules
//! it fires point to and it does not hold, each with its best rule, at most
//! `top` of them.
//!
//! Why a function: product_recommendations matches every customer with the
//! rules whose antecedent they hold. As rows that is every pair of products
//! a customer owns that is an antecedent (a hundred million at ten million
//! lines) joined with its rules (half a billion), grouped and ranked; here
//! each customer is a walk over the rules of the products they own, keeping
//! only the best few offers per rule group.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Int64Type};
use datafusion::common::{HashMap, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::values::{ValueIndex, list_of, push_values, value_type};

const NAME: &str = "basket_offers";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct BasketOffers {
    signature: Signature,
}

impl BasketOffers {
    pub(super) fn new() -> Self {
        Self { signature: Signature::user_defined(Volatility::Immutable) }
    }
}

fn offer_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("item", DataType::Int64, false),
        Field::new("confidence", DataType::Float64, false),
        Field::new("lift", DataType::Float64, false),
    ])
}

/// `fields` of a struct, in this order, or None.
fn struct_fields<'a>(ty: &'a DataType, names: &[&str]) -> Option<&'a Fields> {
    let DataType::Struct(fields) = ty else { return None };
    let found: Vec<&str> = fields.iter().map(|field| field.name().as_str()).collect();
    (found == names).then_some(fields)
}

/// The canonical type of a list of structs with these fields: integers as
/// Int64 (item lists keep Int32, see `value_type`), numbers as Float64.
fn coerce_struct_list(argument: &str, ty: &DataType, names: &[&str]) -> Result<DataType> {
    let expected =
        || plan_err!("{NAME}: argument {argument} must be a list of {{{}}} structs, found {ty}", names.join(", "));
    let DataType::List(item) = ty else { return expected() };
    let Some(fields) = struct_fields(item.data_type(), names) else { return expected() };
    let mut coerced = Vec::with_capacity(fields.len());
    for field in fields.iter() {
        let ty = field.data_type();
        let canonical = match field.name().as_str() {
            "items" | "antecedent" => value_type(ty).map(list_of),
            "confidence" | "lift" => (ty.is_numeric() || ty.is_null()).then_some(DataType::Float64),
            _ => (ty.is_integer() || ty.is_null()).then_some(DataType::Int64),
        };
        let Some(canonical) = canonical else { return expected() };
        coerced.push(Field::new(field.name(), canonical, true));
    }
    Ok(list_of(DataType::Struct(Fields::from(coerced))))
}

impl ScalarUDFImpl for BasketOffers {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [baskets, rules, top] = arg_types else {
            return plan_err!("{NAME}: expected (baskets, rules, top), found {} arguments", arg_types.len());
        };
        if !(top.is_integer() || top.is_null()) {
            return plan_err!("{NAME}: argument 3 (top) must be an integer, found {top}");
        }
        Ok(vec![
            coerce_struct_list("1 (baskets)", baskets, &["id", "items"])?,
            coerce_struct_list("2 (rules)", rules, &["antecedent", "consequent", "confidence", "lift"])?,
            DataType::Int64,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::Struct(offer_fields())))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (baskets, rules) = (arrays[0].as_list::<i32>(), arrays[1].as_list::<i32>());
        let tops = cast(&arrays[2], &DataType::Int64)?;
        let tops = tops.as_primitive::<Int64Type>();
        let mut offers = Offers::default();
        let mut lengths = Vec::with_capacity(baskets.len());
        let mut valid = Vec::with_capacity(baskets.len());
        for row in 0..baskets.len() {
            if baskets.is_null(row) || rules.is_null(row) || tops.is_null(row) {
                lengths.push(0);
                valid.push(false);
                continue;
            }
            let top = tops.value(row);
            if top < 0 {
                return exec_err!("{NAME}: argument 3 (top) must be 0 or more, found {top}");
            }
            let before = offers.ids.len();
            let index = RuleIndex::new(rules.value(row).as_struct())?;
            index.offer(baskets.value(row).as_struct(), top as usize, &mut offers)?;
            lengths.push(offers.ids.len() - before);
            valid.push(true);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(offers.ids)),
            Arc::new(Int64Array::from(offers.items)),
            Arc::new(Float64Array::from(offers.confidences)),
            Arc::new(Float64Array::from(offers.lifts)),
        ];
        let offers = StructArray::try_new(offer_fields(), columns, None)?;
        let item = Arc::new(Field::new_list_field(DataType::Struct(offer_fields()), true));
        let list = ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), Arc::new(offers), Some(valid.into()))?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

/// The result's columns, filled basket by basket.
#[derive(Default)]
struct Offers {
    ids: Vec<i64>,
    items: Vec<i64>,
    confidences: Vec<f64>,
    lifts: Vec<f64>,
}

#[derive(Clone, Copy)]
struct Rule {
    consequent: u32,
    confidence: f64,
    lift: f64,
}

/// Higher confidence first, then higher lift, then the lower item.
fn better(a: &Rule, b: &Rule) -> Ordering {
    b.confidence.total_cmp(&a.confidence).then(b.lift.total_cmp(&a.lift)).then(a.consequent.cmp(&b.consequent))
}

/// An antecedent of two or more items as its first item reaches it: its
/// second item and its number. Eight bytes, as most of a walk is over these.
#[derive(Clone, Copy)]
struct Entry {
    second: u32,
    antecedent: u32,
}

const NONE: u32 = u32::MAX;

/// Looking up a pair costs about this many entries walked.
const LOOKUP_RATIO: usize = 8;

/// The rules of one row, grouped by antecedent and reachable from each
/// antecedent's first item. Items are positions in `items` (ascending
/// value), so comparing positions compares values. Per antecedent a,
/// `starts[a]..starts[a + 1]` are its rules, best first, in `consequents`
/// and `rules` (apart, as most rules are passed over for an item the
/// basket holds), and `rest_starts[a]..rest_starts[a + 1]` its items after
/// the second in `rest`.
struct RuleIndex {
    items: ValueIndex,
    /// Per item, the antecedents of that item alone.
    singles: Vec<Vec<u32>>,
    /// Per item, the longer antecedents whose first item it is, best rule
    /// first.
    by_first: Vec<Vec<Entry>>,
    /// The same by their first two items: the first antecedent with them,
    /// and in `next_with_pair` the next (NONE after the last). A popular
    /// item starts thousands of antecedents; a basket reaches the few it
    /// holds faster by looking up its own items.
    by_pair: HashMap<(u32, u32), u32>,
    next_with_pair: Vec<u32>,
    /// Antecedents without items: they fire for every basket.
    unconditional: Vec<u32>,
    best_confidence: Vec<f64>,
    starts: Vec<u32>,
    consequents: Vec<u32>,
    rules: Vec<Rule>,
    rest_starts: Vec<u32>,
    rest: Vec<u32>,
}

impl RuleIndex {
    fn new(rules: &StructArray) -> Result<Self> {
        let antecedents = rules.column_by_name("antecedent").expect("coerced").as_list::<i32>();
        let consequents = rules.column_by_name("consequent").expect("coerced").as_primitive::<Int64Type>();
        let confidences = rules.column_by_name("confidence").expect("coerced").as_primitive::<Float64Type>();
        let lifts = rules.column_by_name("lift").expect("coerced").as_primitive::<Float64Type>();
        for (column, name) in [
            (antecedents as &dyn Array, "antecedent"),
            (consequents, "consequent"),
            (confidences, "confidence"),
            (lifts, "lift"),
        ] {
            if let Some(rule) = (0..rules.len()).find(|&rule| rules.is_null(rule) || column.is_null(rule)) {
                return exec_err!("{NAME}: rule {} has a null {name}", rule + 1);
            }
        }
        if rules.len() >= NONE as usize {
            return exec_err!("{NAME}: more than {} rules in one row", NONE - 1);
        }
        let mut values = Vec::new();
        push_values(antecedents.values(), &mut values);
        values.extend(consequents.values().iter().copied());
        let items = ValueIndex::new(values);
        let position = |value| items.position(value).expect("every rule item is indexed") as u32;

        // Group the rules by antecedent (its items ascending, each once).
        let mut numbers: HashMap<Vec<u32>, usize> = HashMap::default();
        let mut keys: Vec<Vec<u32>> = Vec::new();
        let mut grouped: Vec<Vec<Rule>> = Vec::new();
        let mut members = Vec::new();
        for rule in 0..rules.len() {
            members.clear();
            push_values(&antecedents.value(rule), &mut members);
            let mut key: Vec<u32> = members.iter().map(|&value| position(value)).collect();
            key.sort_unstable();
            key.dedup();
            let number = *numbers.entry(key).or_insert_with_key(|key| {
                keys.push(key.clone());
                grouped.push(Vec::new());
                grouped.len() - 1
            });
            grouped[number].push(Rule {
                consequent: position(consequents.value(rule)),
                confidence: confidences.value(rule),
                lift: lifts.value(rule),
            });
        }

        let mut index = Self {
            singles: vec![Vec::new(); items.len()],
            by_first: vec![Vec::new(); items.len()],
            by_pair: HashMap::default(),
            next_with_pair: vec![NONE; keys.len()],
            items,
            unconditional: Vec::new(),
            best_confidence: Vec::with_capacity(keys.len()),
            starts: vec![0],
            consequents: Vec::with_capacity(rules.len()),
            rules: Vec::with_capacity(rules.len()),
            rest_starts: vec![0],
            rest: Vec::new(),
        };
        for (number, (key, mut group)) in keys.into_iter().zip(grouped).enumerate() {
            // One rule per consequent, its best: an antecedent's offers must
            // name distinct items.
            group.sort_unstable_by(|a, b| a.consequent.cmp(&b.consequent).then(better(a, b)));
            group.dedup_by_key(|rule| rule.consequent);
            group.sort_unstable_by(better);
            let antecedent = number as u32;
            match key[..] {
                [] => index.unconditional.push(antecedent),
                [first] => index.singles[first as usize].push(antecedent),
                [first, second, ..] => {
                    index.by_first[first as usize].push(Entry { second, antecedent });
                    if let Some(next) = index.by_pair.insert((first, second), antecedent) {
                        index.next_with_pair[number] = next;
                    }
                }
            }
            index.best_confidence.push(group[0].confidence);
            index.consequents.extend(group.iter().map(|rule| rule.consequent));
            index.rules.extend(group);
            index.starts.push(index.rules.len() as u32);
            index.rest.extend(key.iter().skip(2));
            index.rest_starts.push(index.rest.len() as u32);
        }
        let best = &index.best_confidence;
        for entries in &mut index.by_first {
            entries.sort_unstable_by(|a, b| best[b.antecedent as usize].total_cmp(&best[a.antecedent as usize]));
        }
        Ok(index)
    }

    /// Appends each basket's offers to `out`, best first.
    fn offer(&self, baskets: &StructArray, top: usize, out: &mut Offers) -> Result<()> {
        let ids = baskets.column_by_name("id").expect("coerced").as_primitive::<Int64Type>();
        let item_lists = baskets.column_by_name("items").expect("coerced").as_list::<i32>();
        let mut held = vec![false; self.items.len()];
        let (mut values, mut basket) = (Vec::new(), Vec::new());
        let mut offers = TopOffers::new(top);
        for position in 0..baskets.len() {
            if baskets.is_null(position) || ids.is_null(position) {
                return exec_err!("{NAME}: basket {} has a null id", position + 1);
            }
            values.clear();
            if item_lists.is_valid(position) {
                push_values(&item_lists.value(position), &mut values);
            }
            basket.clear();
            basket.extend(values.iter().filter_map(|&value| self.items.position(value)));
            basket.sort_unstable();
            basket.dedup();
            for &item in &basket {
                held[item] = true;
            }
            for &antecedent in &self.unconditional {
                self.fire(antecedent, &held, &mut offers);
            }
            for (at, &item) in basket.iter().enumerate() {
                for &antecedent in &self.singles[item] {
                    self.fire(antecedent, &held, &mut offers);
                }
                let entries = &self.by_first[item];
                let later = &basket[at + 1..];
                if entries.len() > LOOKUP_RATIO * later.len() {
                    for &second in later {
                        let mut antecedent = self.by_pair.get(&(item as u32, second as u32)).copied().unwrap_or(NONE);
                        while antecedent != NONE {
                            self.fire(antecedent, &held, &mut offers);
                            antecedent = self.next_with_pair[antecedent as usize];
                        }
                    }
                    continue;
                }
                for entry in entries {
                    if !held[entry.second as usize] {
                        continue;
                    }
                    if offers.passes_over(self.best_confidence[entry.antecedent as usize]) {
                        // The entries are in the order of their best rule.
                        break;
                    }
                    self.fire(entry.antecedent, &held, &mut offers);
                }
            }
            for rule in offers.drain() {
                out.ids.push(ids.value(position));
                out.items.push(self.items.values[rule.consequent as usize]);
                out.confidences.push(rule.confidence);
                out.lifts.push(rule.lift);
            }
            for &item in &basket {
                held[item] = false;
            }
        }
        Ok(())
    }

    /// Offers the rules of `antecedent` if the basket holds the rest of it.
    fn fire(&self, antecedent: u32, held: &[bool], offers: &mut TopOffers) {
        let antecedent = antecedent as usize;
        let rest = &self.rest[self.rest_starts[antecedent] as usize..self.rest_starts[antecedent + 1] as usize];
        if !rest.iter().all(|&item| held[item as usize]) {
            return;
        }
        let rules = self.starts[antecedent] as usize..self.starts[antecedent + 1] as usize;
        for (&consequent, rule) in self.consequents[rules.clone()].iter().zip(rules) {
            if held[consequent as usize] {
                continue;
            }
            let rule = &self.rules[rule];
            if !offers.could_take(rule) {
                // The rules are best first: none after this one can.
                break;
            }
            offers.offer(*rule);
        }
    }
}

/// A basket's best offers so far: at most `top` distinct items, each with
/// its best rule, best first. An item pushed out cannot come back with a
/// rule it had: every later offer must beat the last kept.
struct TopOffers {
    top: usize,
    kept: Vec<Rule>,
}

impl TopOffers {
    fn new(top: usize) -> Self {
        Self { top, kept: Vec::with_capacity(top + 1) }
    }

    fn full(&self) -> bool {
        self.kept.len() >= self.top
    }

    /// Whether no rule of at most this confidence can be kept.
    fn passes_over(&self, confidence: f64) -> bool {
        self.full() && self.kept.last().is_none_or(|last| confidence < last.confidence)
    }

    fn could_take(&self, rule: &Rule) -> bool {
        !self.full() || self.kept.last().is_some_and(|last| better(rule, last) == Ordering::Less)
    }

    fn offer(&mut self, rule: Rule) {
        if let Some(kept) = self.kept.iter().position(|kept| kept.consequent == rule.consequent) {
            if better(&rule, &self.kept[kept]) != Ordering::Less {
                return;
            }
            self.kept.remove(kept);
        } else if !self.could_take(&rule) {
            return;
        }
        let at = self.kept.partition_point(|kept| better(kept, &rule) == Ordering::Less);
        self.kept.insert(at, rule);
        self.kept.truncate(self.top);
    }

    fn drain(&mut self) -> std::vec::Drain<'_, Rule> {
        self.kept.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;
    use datafusion::prelude::SessionContext;

    async fn offers(baskets: &str, rules: &str, top: &str) -> datafusion::error::Result<String> {
        let ctx = SessionContext::new();
        crate::functions::register_in(&ctx).expect("registers");
        let query = format!("select basket_offers({baskets}, {rules}, {top})");
        let batches = ctx.sql(&query).await?.collect().await?;
        Ok(datafusion::arrow::util::display::array_value_to_string(batches[0].column(0).as_list::<i32>(), 0)?)
    }

    fn rule(antecedent: &str, consequent: i64, confidence: f64, lift: f64) -> String {
        format!(
            "named_struct('antecedent', {antecedent}, 'consequent', {consequent}, 'confidence', {confidence:?}, 'lift', {lift:?})"
        )
    }

    fn baskets() -> String {
        let basket = |id: i64, items: &str| format!("named_struct('id', {id}, 'items', {items})");
        format!(
            "[{}, {}, {}, {}]",
            basket(10, "[1, 2]"),
            basket(11, "[1, 4]"),
            basket(12, "[9]"),
            basket(13, "[2, 1, 3, 1]")
        )
    }

    fn rules() -> String {
        let rules = [
            rule("[1]", 3, 0.9, 2.0),
            rule("[1]", 4, 0.8, 5.0),
            rule("[2, 1]", 5, 0.95, 1.0),
            rule("[2]", 3, 0.9, 3.0),
            rule("[6]", 7, 1.0, 1.0),
        ];
        format!("[{}]", rules.join(", "))
    }

    #[tokio::test]
    async fn offers_the_best_unheld_consequents_of_the_rules_a_basket_fires() {
        assert_eq!(
            offers(&baskets(), &rules(), "2").await.unwrap(),
            "[{id: 10, item: 5, confidence: 0.95, lift: 1.0}, {id: 10, item: 3, confidence: 0.9, lift: 3.0}, \
             {id: 11, item: 3, confidence: 0.9, lift: 2.0}, \
             {id: 13, item: 5, confidence: 0.95, lift: 1.0}, {id: 13, item: 4, confidence: 0.8, lift: 5.0}]"
        );
        assert_eq!(offers(&baskets(), &rules(), "0").await.unwrap(), "[]");
    }

    #[tokio::test]
    async fn a_held_consequent_leaves_room_for_the_next_rule() {
        let rules = format!("[{}, {}]", rule("[1]", 2, 1.0, 1.0), rule("[1]", 3, 0.5, 1.0));
        assert_eq!(
            offers("[named_struct('id', 1, 'items', [1, 2])]", &rules, "1").await.unwrap(),
            "[{id: 1, item: 3, confidence: 0.5, lift: 1.0}]"
        );
    }

    /// Every rule of every basket checked one by one, best per item, sorted.
    fn brute_force(baskets: &[Vec<i64>], rules: &[(Vec<i64>, i64, f64, f64)], top: usize) -> String {
        let mut offers = Vec::new();
        for (id, basket) in baskets.iter().enumerate() {
            let mut best: Vec<(i64, f64, f64)> = Vec::new();
            for (antecedent, consequent, confidence, lift) in rules {
                if !antecedent.iter().all(|item| basket.contains(item)) || basket.contains(consequent) {
                    continue;
                }
                match best.iter_mut().find(|(item, ..)| item == consequent) {
                    Some(kept) if (*confidence, *lift) > (kept.1, kept.2) => *kept = (*consequent, *confidence, *lift),
                    Some(_) => {}
                    None => best.push((*consequent, *confidence, *lift)),
                }
            }
            best.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
            for (item, confidence, lift) in best.into_iter().take(top) {
                offers.push(format!("{{id: {id}, item: {item}, confidence: {confidence:?}, lift: {lift:?}}}"));
            }
        }
        format!("[{}]", offers.join(", "))
    }

    #[tokio::test]
    async fn agrees_with_checking_every_rule() {
        // A fixed pseudo-random sequence: the same cases every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let mut rules = Vec::new();
        // Enough rules per item that baskets reach some antecedents by
        // walking their first item's list and others by looking up pairs.
        for _ in 0..1500 {
            let antecedent: Vec<i64> = (0..1 + next(3)).map(|_| next(12) as i64).collect();
            // Few distinct confidences and lifts, so that ties are common.
            let (confidence, lift) = (next(4) as f64 / 4.0 + 0.25, next(3) as f64 + 1.0);
            rules.push((antecedent, next(15) as i64, confidence, lift));
        }
        let baskets: Vec<Vec<i64>> = (0..60).map(|_| (0..next(8)).map(|_| next(16) as i64).collect()).collect();
        let rule_sql: Vec<String> = rules
            .iter()
            .map(|(antecedent, consequent, confidence, lift)| {
                rule(&format!("{antecedent:?}"), *consequent, *confidence, *lift)
            })
            .collect();
        let basket_sql: Vec<String> = baskets
            .iter()
            .enumerate()
            .map(|(id, items)| format!("named_struct('id', {id}, 'items', arrow_cast({items:?}, 'List(Int64)'))"))
            .collect();
        let (basket_sql, rule_sql) = (format!("[{}]", basket_sql.join(", ")), format!("[{}]", rule_sql.join(", ")));
        for top in [1, 3, 20] {
            let got = offers(&basket_sql, &rule_sql, &top.to_string()).await.unwrap();
            assert_eq!(got, brute_force(&baskets, &rules, top), "top {top}");
        }
    }

    #[tokio::test]
    async fn rejects_what_it_cannot_read() {
        let error = offers("[1]", &rules(), "1").await.unwrap_err();
        assert!(error.to_string().contains("argument 1 (baskets) must be a list of {id, items} structs"), "{error}");
        let error = offers(&baskets(), &rules(), "-1").await.unwrap_err();
        assert!(error.to_string().contains("top) must be 0 or more"), "{error}");
        let nulls = format!("[{}]", rule("[1]", 3, 0.9, 2.0).replace("'lift', 2.0", "'lift', null"));
        let error = offers(&baskets(), &nulls, "1").await.unwrap_err();
        assert!(error.to_string().contains("rule 1 has a null lift"), "{error}");
    }
}
