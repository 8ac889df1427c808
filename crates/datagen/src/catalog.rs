//! The shop's products (in families of colours) and customers (joining over
//! the year, mostly from the home market), drawn once from the seed.

use rand::Rng;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand_chacha::ChaCha8Rng;
use rand_distr::{LogNormal, Zipf};

const DESIGNS: &[&str] = &[
    "RETROSPOT",
    "POLKADOT",
    "VINTAGE",
    "REGENCY",
    "PAISLEY",
    "SPACEBOY",
    "DOLLY GIRL",
    "WOODLAND",
    "SKULLS",
    "STRAWBERRY",
    "BIRD",
    "HEART",
    "FLORAL",
    "ENGLISH ROSE",
    "JAM MAKING",
    "PANTRY",
    "LOVE",
    "CHRISTMAS",
    "GINGHAM",
    "STAR",
    "BAROQUE",
    "SCANDINAVIAN",
    "ALPHABET",
    "TOADSTOOL",
];
/// Items and their typical unit price (£).
const ITEMS: &[(&str, f64)] = &[
    ("JUMBO BAG", 2.0),
    ("LUNCH BAG", 1.65),
    ("MUG", 1.25),
    ("CAKE TIN", 4.95),
    ("PLATE", 0.85),
    ("CANDLE", 1.45),
    ("T-LIGHT HOLDER", 2.55),
    ("LANTERN", 3.75),
    ("NOTEBOOK", 1.65),
    ("WRAPPING PAPER", 0.42),
    ("GREETING CARD", 0.42),
    ("CUSHION COVER", 3.75),
    ("DOORMAT", 7.95),
    ("WALL CLOCK", 8.5),
    ("PHOTO FRAME", 2.95),
    ("NECKLACE", 4.25),
    ("UMBRELLA", 5.95),
    ("PURSE", 2.1),
    ("JIGSAW", 1.25),
    ("GARDEN SIGN", 2.1),
    ("BUNTING", 4.95),
    ("TEA CUP AND SAUCER", 2.95),
    ("BAKING SET", 4.95),
    ("STORAGE BOX", 2.1),
    ("HOT WATER BOTTLE", 4.25),
    ("PICNIC BASKET", 6.95),
    ("HAIR CLIP", 0.65),
    ("CHILDRENS APRON", 1.95),
    ("SCARF", 3.25),
    ("WATERING CAN", 2.95),
    ("PARTY CUPS", 0.65),
    ("CAKESTAND 3 TIER", 10.95),
];
const COLOURS: &[&str] = &["RED", "PINK", "BLUE", "GREEN", "WHITE", "IVORY", "BLACK", "PURPLE"];

/// Countries as UCI spells them, with their share of customers.
const COUNTRIES: &[(&str, f64)] = &[
    ("United Kingdom", 88.0),
    ("Germany", 2.2),
    ("France", 2.0),
    ("Spain", 0.7),
    ("Belgium", 0.6),
    ("Switzerland", 0.5),
    ("Portugal", 0.45),
    ("Italy", 0.35),
    ("Finland", 0.27),
    ("Austria", 0.25),
    ("Norway", 0.23),
    ("Netherlands", 0.2),
    ("Australia", 0.2),
    ("Channel Islands", 0.2),
    ("Denmark", 0.2),
    ("Cyprus", 0.18),
    ("Sweden", 0.18),
    ("Japan", 0.18),
    ("Poland", 0.14),
    ("EIRE", 0.1),
    ("USA", 0.1),
    ("Israel", 0.1),
    ("Unspecified", 0.1),
    ("Greece", 0.1),
    ("Canada", 0.09),
    ("Iceland", 0.05),
    ("Malta", 0.05),
    ("United Arab Emirates", 0.05),
    ("Bahrain", 0.05),
    ("Hong Kong", 0.05),
    ("Lithuania", 0.03),
    ("Lebanon", 0.03),
    ("RSA", 0.03),
    ("Singapore", 0.03),
    ("Brazil", 0.03),
    ("Czech Republic", 0.03),
    ("Saudi Arabia", 0.03),
    ("European Community", 0.03),
];

pub struct Product {
    pub code: String,
    pub description: String,
    pub price: f64,
    family: usize,
}

/// Products by popularity rank (index 0 sells most).
pub struct Products {
    items: Vec<Product>,
    families: Vec<Vec<usize>>,
}

impl Products {
    pub fn new(rng: &mut ChaCha8Rng, count: usize) -> Self {
        let noise = LogNormal::new(0.0, 0.25).expect("valid parameters");
        let mut items = Vec::with_capacity(count);
        let mut families = Vec::new();
        let mut family = 0usize;
        while items.len() < count {
            let (item, base_price) = ITEMS[family % ITEMS.len()];
            let design = DESIGNS[(family / ITEMS.len()) % DESIGNS.len()];
            let edition = family / (ITEMS.len() * DESIGNS.len());
            let name =
                if edition == 0 { format!("{design} {item}") } else { format!("{design} {item} NO {}", edition + 1) };
            let price = ((base_price * noise.sample(rng) * 100.0).round() / 100.0).max(0.1);
            let code = 20_000 + family as u32;
            let colours = if rng.random_bool(0.4) { rng.random_range(2..=4) } else { 1 };
            let mut members = Vec::new();
            for colour in COLOURS.iter().take(colours) {
                if items.len() == count {
                    break;
                }
                let (code, description) = if colours == 1 {
                    (code.to_string(), name.clone())
                } else {
                    let letter = (b'A' + members.len() as u8) as char;
                    (format!("{code}{letter}"), format!("{name} {colour}"))
                };
                members.push(items.len());
                items.push(Product { code, description, price, family });
            }
            families.push(members);
            family += 1;
        }
        // Spread families over popularity: shuffle products, keeping codes.
        for i in (1..items.len()).rev() {
            let j = rng.random_range(0..=i);
            items.swap(i, j);
        }
        let mut families = vec![Vec::new(); families.len()];
        for (index, product) in items.iter().enumerate() {
            families[product.family].push(index);
        }
        Products { items, families }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn get(&self, index: usize) -> &Product {
        &self.items[index]
    }

    /// Another colour of the same design, if it has one.
    pub fn sibling(&self, rng: &mut ChaCha8Rng, index: usize) -> Option<usize> {
        let members = &self.families[self.items[index].family];
        let others: Vec<usize> = members.iter().copied().filter(|&m| m != index).collect();
        (!others.is_empty()).then(|| others[rng.random_range(0..others.len())])
    }
}

/// Customers by activity rank (index 0 buys most), each with the day they
/// first shop and their country.
pub struct Customers {
    join_day: Vec<i64>,
    country: Vec<u8>,
    founders: Vec<usize>,
    activity: Zipf<f64>,
}

impl Customers {
    pub fn new(rng: &mut ChaCha8Rng, count: usize, days: i64) -> Self {
        let countries = WeightedIndex::new(COUNTRIES.iter().map(|c| c.1)).expect("positive weights");
        let mut join_day = Vec::with_capacity(count);
        let mut country = Vec::with_capacity(count);
        for _ in 0..count {
            // A third shop from the start; the rest join over the year.
            join_day.push(if rng.random_bool(0.33) { 0 } else { rng.random_range(0..days * 85 / 100) });
            country.push(countries.sample(rng) as u8);
        }
        // Every country has a few active customers, as UCI's best customers
        // include the Netherlands, EIRE and Australia.
        for index in 1..COUNTRIES.len() {
            let customer = (index * 5).min(count - 1);
            country[customer] = index as u8;
        }
        let founders = (0..count).filter(|&c| join_day[c] == 0).collect::<Vec<_>>();
        let founders = if founders.is_empty() { vec![0] } else { founders };
        join_day[founders[0]] = 0;
        Customers { join_day, country, founders, activity: Zipf::new(count as f64, 0.85).expect("valid parameters") }
    }

    pub fn len(&self) -> usize {
        self.join_day.len()
    }

    /// A customer who has joined by `day`, weighted by activity.
    pub fn pick(&self, rng: &mut ChaCha8Rng, day: i64) -> usize {
        for _ in 0..16 {
            let customer = self.activity.sample(rng) as usize - 1;
            if self.join_day[customer] <= day {
                return customer;
            }
        }
        self.founders[rng.random_range(0..self.founders.len())]
    }

    pub fn id(&self, customer: usize) -> u32 {
        12_346 + customer as u32
    }

    pub fn country(&self, customer: usize) -> &'static str {
        COUNTRIES[self.country[customer] as usize].0
    }
}
