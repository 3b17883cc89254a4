//! What a screen reader gets, read over the real Linux stack: the window's AccessKit tree
//! through the AT-SPI bus (a private Xvfb, D-Bus session and AT-SPI bus, read with
//! pyatspi by `tests/support/atspi-tree.py`), not egui's own tree. Keys go through the
//! AT-SPI registry as a person's keyboard would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::process::Command;

use serde_json::Value;

/// The tree after `keys` (and which node had the focus after each key), over a new home.
fn read_tree(keys: &str) -> Value {
    read_tree_in(&tempfile::tempdir().unwrap(), keys)
}

fn read_tree_in(home: &tempfile::TempDir, keys: &str) -> Value {
    let output = Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/atspi-tree.py"
        ))
        .arg(env!("CARGO_BIN_EXE_mailroom"))
        .args(["--json", "--keys", keys])
        .env("MAILROOM_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "atspi-tree.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn nodes(tree: &Value) -> &Vec<Value> {
    tree["nodes"].as_array().unwrap()
}

fn node<'a>(tree: &'a Value, role: &str, name: &str) -> &'a Value {
    nodes(tree)
        .iter()
        .find(|n| n["role"] == role && n["name"] == name)
        .unwrap_or_else(|| panic!("no {role} named {name:?} in {tree:#}"))
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("(none)")
}

fn focus_path(tree: &Value) -> Vec<String> {
    tree["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let node = &k["focused"];
            format!("{} {}", text(&node["role"]), text(&node["name"]))
        })
        .collect()
}

fn has_state(node: &Value, state: &str) -> bool {
    node["states"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == state)
}

#[test]
fn the_compose_window_is_named_its_choices_are_told_and_every_focusable_control_has_a_name() {
    let tree = read_tree("");
    let window = nodes(&tree).iter().find(|n| n["role"] == "frame").unwrap();
    assert_eq!(window["name"], "Mailroom");
    // A combo box is read with what is chosen, not only "From, combo box".
    let from = node(&tree, "combo box", "From");
    assert_eq!(from["description"], "Me <me@localhost> — local");
    assert_eq!(
        node(&tree, "combo box", "Importance")["description"],
        "Normal"
    );
    let nameless: Vec<&Value> = nodes(&tree)
        .iter()
        .filter(|n| has_state(n, "focusable") && n["name"] == "")
        .collect();
    assert!(
        nameless.is_empty(),
        "focusable without a name: {nameless:#?}"
    );
}

#[test]
fn tab_reaches_the_headers_in_order_and_a_bad_address_is_told_on_its_field() {
    let tree = read_tree("Tab Tab Tab Tab Tab Tab Tab Tab h i Tab");
    let focused = focus_path(&tree);
    assert_eq!(
        focused,
        [
            "page tab Compose",
            "page tab Drafts (0)",
            "page tab Outbox (0)",
            "page tab Profiles",
            "combo box From",
            "push button Add your email account",
            "push button Cc/Bcc",
            "entry To",
            "entry To", // h
            "entry To", // i
            "entry Subject",
        ]
    );
    // "hi" in To: the field itself says what is wrong (its description), not only a
    // label somewhere below it.
    let to = node(&tree, "entry", "To");
    assert_eq!(to["text"], "hi");
    let why = "To: \"hi\" is not a valid address (no @ in it)";
    assert_eq!(to["description"], why);
    node(&tree, "label", why);
}

#[test]
fn tab_reaches_a_draft_in_the_list_and_the_arrows_select_it_without_a_trap() {
    let home = tempfile::tempdir().unwrap();
    let eml = home.path().join("saved.eml");
    std::fs::write(
        &eml,
        "From: me@example.org\r\nTo: team@example.org\r\nSubject: Minutes of Monday\r\n\r\nThree things.\r\n",
    )
    .unwrap();
    let import = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(["drafts", "import"])
        .arg(&eml)
        .env("MAILROOM_HOME", home.path())
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");

    // Compose, Drafts, Enter the view; then Tab through it, Down, and back.
    let tree = read_tree_in(
        &home,
        "Tab Tab space Tab Tab Tab Tab Down shift+Tab Tab Tab",
    );
    assert_eq!(
        focus_path(&tree)[5..],
        [
            "entry Search drafts",
            "table row Minutes of Monday", // the row, by its subject
            "table row Minutes of Monday", // Down selected it; the focus stays on it
            "push button Delete",          // what can be done with it is one step back
            "table row Minutes of Monday",
            "page tab Compose", // and on, out of the table: no trap
        ]
    );
    // A table with column headers, whose row is selected (not a "pressed" button) and
    // read with the rest of its columns.
    node(&tree, "table", "Drafts");
    for title in ["Subject", "Recipients", "Modified", "Files"] {
        node(&tree, "column header", title);
    }
    let row = node(&tree, "table row", "Minutes of Monday");
    assert!(has_state(row, "selected"), "{row:#}");
    assert!(!has_state(row, "pressed"), "{row:#}");
    let description = text(&row["description"]);
    assert!(
        description.starts_with("to team@example.org, modified "),
        "{row:#}"
    );
    // The view's tab is a selected tab; the others are tabs too.
    assert!(has_state(node(&tree, "page tab", "Drafts (1)"), "selected"));
    assert!(!has_state(node(&tree, "page tab", "Compose"), "selected"));
}

#[test]
fn the_views_titles_are_headings() {
    let tree = read_tree("Tab Tab Tab Tab space");
    assert_eq!(node(&tree, "heading", "Profiles")["role"], "heading");
}

/// Tab from the window's first control to the compose view's last, and one more.
const THROUGH_COMPOSE: &str =
    "Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab";

#[test]
fn tab_goes_from_the_headers_to_the_message_and_then_to_the_actions() {
    let tree = read_tree(THROUGH_COMPOSE);
    let focused = focus_path(&tree);
    let at = |what: &str| {
        focused
            .iter()
            .position(|f| f == what)
            .unwrap_or_else(|| panic!("{what} never focused: {focused:#?}"))
    };
    // A composer's order: headers, the message, then what to do with it.
    let order = [
        "entry To",
        "entry Subject",
        "combo box Importance",
        "entry Message",
        "push button Attach files…",
        "push button Send",
        "push button Discard",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?} in {focused:#?}");
    }
    // Past the last control, Tab goes round to the first.
    assert_eq!(focused.last().map(String::as_str), Some("page tab Compose"));
}

#[test]
fn an_open_list_offers_selected_items_and_escape_gives_the_focus_back() {
    // Importance is the 11th control; Space opens its list, Down enters it.
    let to_importance = "Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab";
    let tree = read_tree(&format!("{to_importance} space Down"));
    let list = node(&tree, "list box", "Importance");
    assert!(has_state(node(&tree, "list item", "Normal"), "selected"));
    assert!(!has_state(node(&tree, "list item", "Normal"), "pressed"));
    assert_eq!(
        focus_path(&tree).last().map(String::as_str),
        Some("list item Low"),
        "{list:#}"
    );

    // Escape in an open list goes back to its combo box; Escape in a text field leaves
    // the focus in it (egui dropped it to the nameless window in both cases).
    let tree = read_tree(&format!(
        "{to_importance} space Down Escape shift+Tab shift+Tab a Escape"
    ));
    assert_eq!(
        focus_path(&tree)[11..],
        [
            "combo box Importance", // space: the list opens
            "list item Low",
            "combo box Importance", // Escape
            "check box Formatted (HTML)",
            "entry Subject",
            "entry Subject", // a
            "entry Subject", // Escape
        ]
    );
}

#[test]
fn add_account_puts_the_focus_in_its_first_field() {
    let tree = read_tree("Tab Tab Tab Tab space Tab space");
    assert_eq!(
        focus_path(&tree)[5..],
        ["push button Add account", "entry Your name"]
    );
}

#[test]
fn discard_starts_the_next_message_with_the_focus_in_to() {
    // Seventeen Tabs reach Discard (the compose view's last control); Space presses it.
    let tree = read_tree(&format!("{} space", ["Tab"; 17].join(" ")));
    let focused = focus_path(&tree);
    assert_eq!(focused[16], "push button Discard", "{focused:#?}");
    assert_eq!(focused[17], "entry To", "{focused:#?}");
}
