//! Property tests: random trees with awkward names (spaces, newlines,
//! non-UTF-8 bytes), empty directories, symlinks and exec bits survive
//! write-slug → checkout-slug, and write-slug → export-slug → write-slug -
//! gives the same id. Few cases, so the suite stays fast.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use crate::common::{Env, run};
use crate::fixtures::{Item, materialize, snapshot};

/// A name: 1 to 6 bytes from an alphabet of troublemakers.
fn name() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            Just(b'a'),
            Just(b'Z'),
            Just(b'7'),
            Just(b' '),
            Just(b'\n'),
            Just(b'\t'),
            Just(b'.'),
            Just(b'-'),
            Just(b'"'),
            Just(b'\\'),
            Just(b'*'),
            Just(0xe9u8),
            Just(0xffu8),
        ],
        1..6,
    )
    .prop_filter("names rel stores", |n| {
        ![&b"."[..], b"..", b".git", b".releases", b".slugignore"].contains(&n.as_slice())
    })
}

#[derive(Clone, Debug)]
enum Node {
    File(Vec<u8>, bool),
    /// A link to a name in the same directory (there or not).
    Link(Vec<u8>),
    Dir(BTreeMap<Vec<u8>, Node>),
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        4 => (vec(any::<u8>(), 0..200), any::<bool>()).prop_map(|(c, x)| Node::File(c, x)),
        1 => name().prop_map(Node::Link),
        1 => Just(Node::Dir(BTreeMap::new())),
    ];
    leaf.prop_recursive(3, 40, 5, |inner| {
        btree_map(name(), inner, 0..5).prop_map(Node::Dir)
    })
}

fn flatten(dir: &BTreeMap<Vec<u8>, Node>, prefix: &[u8], out: &mut BTreeMap<Vec<u8>, Item>) {
    for (name, node) in dir {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            [prefix, b"/", name].concat()
        };
        match node {
            Node::File(content, exec) => {
                out.insert(
                    path,
                    Item::File {
                        content: content.clone(),
                        exec: *exec,
                    },
                );
            }
            Node::Link(target) => {
                out.insert(path, Item::Link(target.clone()));
            }
            Node::Dir(children) => {
                out.insert(path.clone(), Item::Dir);
                flatten(children, &path, out);
            }
        }
    }
}

fn tree() -> impl Strategy<Value = BTreeMap<Vec<u8>, Item>> {
    btree_map(name(), node(), 0..6).prop_map(|root| {
        let mut items = BTreeMap::new();
        flatten(&root, b"", &mut items);
        items
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_trees_round_trip(items in tree()) {
        let env = Env::new();
        env.init();
        let src = env.path("src");
        materialize(&src, &items);
        prop_assert_eq!(&snapshot(&src), &items);

        let slug = env.rel(["write-slug", "../src"]).ok().line();
        prop_assert_eq!(env.rel(["write-slug", "-n", "../src"]).ok().line(), slug.clone());

        env.rel(["checkout-slug", &slug, "../out"]).ok();
        prop_assert_eq!(&snapshot(&env.path("out")), &items);

        let tar = env.rel(["export-slug", &slug]).ok().raw_stdout;
        let again = env.rel_stdin(["write-slug", "-"], &tar).ok().line();
        prop_assert_eq!(again, slug.clone());
        // Hashing alone, outside any store, agrees.
        let dry = run(env.cmd_in(".").args(["write-slug", "-n", "-"]), Some(&tar)).ok().line();
        prop_assert_eq!(dry, slug);
    }
}
