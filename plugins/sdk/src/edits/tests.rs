use super::*;
use proptest::prelude::*;

fn whole(path: &str, content: &str) -> TextEdit {
    TextEdit::Whole {
        path: path.into(),
        content: content.into(),
    }
}
fn sr(path: &str, search: &str, replace: &str) -> TextEdit {
    TextEdit::SearchReplace {
        path: path.into(),
        search: search.into(),
        replace: replace.into(),
    }
}

const GO: &str = "package a\n\nfunc A() int { return 1 }\n";

#[test]
fn whole_file_after_a_path_line() {
    let r = parse_text_edits(&format!("I add A.\n\na/a.go\n```go\n{GO}```\n")).unwrap();
    assert_eq!(r.edits, vec![whole("a/a.go", GO)]);
    assert_eq!(r.summary, "I add A.");
}

#[test]
fn path_decorations_models_write() {
    for line in [
        "a/a.go",
        "**a/a.go**",
        "`a/a.go`",
        "### a/a.go",
        "File: a/a.go",
        "**File: `a/a.go`**",
        "a/a.go:",
        "./a/a.go",
        "- `a/a.go`:",
    ] {
        let line = line.trim_start_matches("- ");
        let r = parse_text_edits(&format!("{line}\n```go\n{GO}```"))
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(r.edits, vec![whole("a/a.go", GO)], "{line}");
    }
}

#[test]
fn path_in_info_string_or_first_comment() {
    for reply in [
        format!("```go a/a.go\n{GO}```"),
        format!("```go:a/a.go\n{GO}```"),
        format!("```a/a.go\n{GO}```"),
        format!("```go title=\"a/a.go\"\n{GO}```"),
        format!("```go\n// a/a.go\n{GO}```"),
        format!("```go\n// File: a/a.go\n{GO}```"),
    ] {
        let r = parse_text_edits(&reply).unwrap_or_else(|e| panic!("{reply}: {e}"));
        assert_eq!(r.edits, vec![whole("a/a.go", GO)], "{reply}");
    }
}

#[test]
fn a_path_named_in_the_prose_line_before_the_block() {
    let r = parse_text_edits(&format!("The file `a/a.go` now has A:\n```go\n{GO}```\n")).unwrap();
    assert_eq!(r.edits, vec![whole("a/a.go", GO)]);
    assert_eq!(r.summary, "The file `a/a.go` now has A:");
    // Two different paths on the line: no guess.
    let r = parse_text_edits(&format!("I change `a.go` and `b.go`:\n```go\n{GO}```\n")).unwrap();
    assert_eq!(r.unnamed.len(), 1);
    // Words in backticks that are not paths do not count.
    let r = parse_text_edits(&format!("Uses `fmt.Println` in `a.go`:\n```go\n{GO}```\n")).unwrap();
    assert_eq!(r.edits, vec![whole("a.go", GO)]);
}

#[test]
fn a_block_listing_file_names_is_not_a_file() {
    let r = parse_text_edits(&format!(
        "```\na/a.go\nb/b.go\n```\n\na/a.go\n```go\n{GO}```\n"
    ))
    .unwrap();
    assert_eq!(r.edits, vec![whole("a/a.go", GO)]);
    assert!(r.unnamed.is_empty());
}

#[test]
fn a_block_in_a_list_item_loses_the_fence_indentation() {
    let indented: String = GO
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("  {l}\n")
            }
        })
        .collect();
    let r = parse_text_edits(&format!("- `a/a.go`:\n  ```go\n{indented}  ```\n")).unwrap();
    assert_eq!(r.edits, vec![whole("a/a.go", GO)]);
}

#[test]
fn the_prompts_own_data_fences_mimicked() {
    let r = parse_text_edits(&format!(
        "~~~ DATA file a/a.go (source: repository content)\n{GO}~~~ END DATA file a/a.go\n"
    ))
    .unwrap();
    assert_eq!(r.edits, vec![whole("a/a.go", GO)]);
}

#[test]
fn several_files_and_search_replace() {
    let reply = "Changes:\n\na.go\n```go\n<<<<<<< SEARCH\nfunc A() int { return 1 }\n=======\nfunc A() int { return 2 }\n>>>>>>> REPLACE\n\n<<<<<<< SEARCH\n=======\nfunc B() {}\n>>>>>>> REPLACE\n```\n\nb_test.go\n```go\npackage a\n```\n";
    let r = parse_text_edits(reply).unwrap();
    assert_eq!(
        r.edits,
        vec![
            sr(
                "a.go",
                "func A() int { return 1 }\n",
                "func A() int { return 2 }\n"
            ),
            sr("a.go", "", "func B() {}\n"),
            whole("b_test.go", "package a\n"),
        ]
    );
}

#[test]
fn unfenced_search_replace_after_its_path() {
    let reply = "a.go\n<<<<<<< SEARCH\nx := 1\n=======\nx := 2\n>>>>>>> REPLACE\n<<<<<<< SEARCH\ny\n=======\nz\n>>>>>>> REPLACE\n";
    let r = parse_text_edits(reply).unwrap();
    assert_eq!(
        r.edits,
        vec![sr("a.go", "x := 1\n", "x := 2\n"), sr("a.go", "y\n", "z\n")]
    );
}

#[test]
fn errors_name_the_line_and_what_to_do() {
    let r = parse_text_edits(&format!("Here:\n```go\n{GO}```")).unwrap();
    assert_eq!(
        (r.edits.len(), r.unnamed.clone()),
        (0, vec![(2, GO.to_string())]),
        "a block without a path is set apart"
    );
    assert!(
        unnamed_error(2)
            .to_string()
            .contains("line 2 of your reply: this code block has no file path")
    );
    let e =
        parse_text_edits("```go\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```").unwrap_err();
    assert!(e.to_string().contains("no file path"), "{e}");
    let e = parse_text_edits(&format!("a.go\n```go\n{GO}")).unwrap_err();
    assert!(e.to_string().contains("never closed"), "{e}");
    let e = parse_text_edits("Sure, here is the change.").unwrap_err();
    assert!(e.to_string().contains("no file"), "{e}");
    let e = parse_text_edits("a.go\n```go\nThe function now returns 2.\n```").unwrap_err();
    assert!(e.to_string().contains("not a Go file"), "{e}");
    let e = parse_text_edits("a.go\n```go\n--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-x\n+y\n```")
        .unwrap_err();
    assert!(e.to_string().contains("is a diff"), "{e}");
    let e = parse_text_edits("a.go\n```diff\npackage a\n```").unwrap_err();
    assert!(e.to_string().contains("is a diff"), "{e}");
    let e = parse_text_edits(
        "a.go\n```go\npackage a\n\n// ... existing code unchanged ...\nfunc B() {}\n```",
    )
    .unwrap_err();
    assert!(e.to_string().contains("leaves code out"), "{e}");
    let e = parse_text_edits("a.go\n```go\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n```").unwrap_err();
    assert!(e.to_string().contains("no `=======`"), "{e}");
    let e = parse_text_edits("a.go\n```go\n<<<<<<< SEARCH\nx\n=======\ny\n```").unwrap_err();
    assert!(e.to_string().contains("REPLACE"), "{e}");
}

#[test]
fn shell_examples_without_a_path_are_not_edits() {
    let r = parse_text_edits(&format!(
        "Run it:\n```bash\ngo test ./...\n```\na.go\n```go\n{GO}```"
    ))
    .unwrap();
    assert_eq!(r.edits, vec![whole("a.go", GO)]);
}

#[test]
fn words_with_dots_are_not_paths() {
    for w in [
        "fmt.Println",
        "v1.2",
        "e.g.",
        "Done.",
        "strings.Builder:",
        "../x.go",
        "/etc/passwd.go",
        "a b.go",
    ] {
        assert_eq!(path_of_line(w), None, "{w}");
    }
    for w in [
        "go.mod",
        "README.md",
        "internal/x/y.go",
        "x_test.go",
        "testdata/in.golden",
        "Makefile",
    ] {
        assert_eq!(path_of_line(w).as_deref(), Some(w), "{w}");
    }
}

#[test]
fn resolve_exact_then_whitespace_tolerant() {
    let file = "package a\n\nfunc A() {\n\tx := 1\n\treturn\n}\n";
    assert_eq!(
        resolve_search(file, "\tx := 1\n", "\tx := 2\n").unwrap(),
        ("\tx := 1\n".into(), "\tx := 2\n".into())
    );
    // Trailing spaces the model added.
    assert_eq!(
        resolve_search(file, "\tx := 1  \n", "\tx := 2\n")
            .unwrap()
            .0,
        "\tx := 1\n"
    );
    // Indentation lost: matched, and the replacement gets the file's indent.
    assert_eq!(
        resolve_search(file, "x := 1\nreturn\n", "x := 2\nreturn\n").unwrap(),
        ("\tx := 1\n\treturn\n".into(), "\tx := 2\n\treturn\n".into())
    );
    assert!(
        resolve_search(file, "y := 1\n", "z")
            .unwrap_err()
            .contains("not in the file")
    );
    assert!(
        resolve_search("a\na\n", "a\n", "b\n")
            .unwrap_err()
            .contains("2 times")
    );
    assert!(
        resolve_search("\ta\n a\n", "a", "b")
            .unwrap_err()
            .contains("2 times")
    );
    assert!(
        resolve_search(file, "  \n", "b")
            .unwrap_err()
            .contains("empty")
    );
    // The file's last line without a newline.
    assert_eq!(
        resolve_search("a\n  b", "b\n", "c\n").unwrap(),
        ("  b".into(), "  c".into())
    );
}

#[test]
fn appended_separates_with_one_blank_line() {
    assert_eq!(
        appended("package a\n\n\n", "func B() {}"),
        "package a\n\nfunc B() {}\n"
    );
    assert_eq!(appended("", "x"), "x\n");
}

/// A valid reply, written with the variations models produce.
fn render(files: &[(String, String)], style: &Style) -> String {
    let mut out = String::new();
    if style.prose {
        out.push_str("Here is the change you asked for.\n\n");
    }
    for (path, content) in files {
        let fence = "`".repeat(style.fence_len);
        let info = if style.lang { "go" } else { "" };
        let path_line = match style.path_style {
            0 => path.clone(),
            1 => format!("**{path}**"),
            2 => format!("`{path}`"),
            3 => format!("### {path}"),
            _ => format!("File: {path}"),
        };
        out.push_str(&path_line);
        out.push_str(&" ".repeat(style.trailing_spaces));
        out.push('\n');
        for _ in 0..style.blank_lines {
            out.push('\n');
        }
        out.push_str(&format!("{fence}{info}\n{content}{fence}\n"));
        if style.crlf_gap {
            out.push('\n');
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Style {
    prose: bool,
    fence_len: usize,
    lang: bool,
    path_style: u8,
    trailing_spaces: usize,
    blank_lines: usize,
    crlf_gap: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        3usize..6,
        any::<bool>(),
        0u8..5,
        0usize..3,
        0usize..2,
        any::<bool>(),
    )
        .prop_map(
            |(prose, fence_len, lang, path_style, trailing_spaces, blank_lines, crlf_gap)| Style {
                prose,
                fence_len,
                lang,
                path_style,
                trailing_spaces,
                blank_lines,
                crlf_gap,
            },
        )
}

fn go_file() -> impl Strategy<Value = String> {
    // Go-ish lines that never look like a fence or a marker.
    prop::collection::vec("[a-zA-Z0-9_ (){}:=\\t\"+.,-]{0,30}", 0..8).prop_map(|ls| {
        format!(
            "package p\n\n{}",
            ls.into_iter().map(|l| format!("{l}\n")).collect::<String>()
        )
    })
}

fn path() -> impl Strategy<Value = String> {
    ("[a-z]{1,6}(/[a-z]{1,6}){0,2}", any::<bool>())
        .prop_map(|(p, test)| format!("{p}{}.go", if test { "_test" } else { "" }))
}

proptest! {
    #[test]
    fn any_decoration_of_a_valid_reply_parses_to_the_same_edits(
        files in prop::collection::vec((path(), go_file()), 1..4),
        a in style(),
        b in style(),
    ) {
        let expected: Vec<TextEdit> = files.iter().map(|(p, c)| whole(p, c)).collect();
        let ra = parse_text_edits(&render(&files, &a)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rb = parse_text_edits(&render(&files, &b)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&ra.edits, &expected);
        prop_assert_eq!(&rb.edits, &expected);
    }

    #[test]
    fn search_replace_blocks_survive_fence_variations(
        search in prop::collection::vec("[a-z =:(){}]{1,20}", 1..4),
        replace in prop::collection::vec("[a-z =:(){}]{0,20}", 0..4),
        fence_len in 3usize..6,
        fenced in any::<bool>(),
    ) {
        let s: String = search.iter().map(|l| format!("{l}\n")).collect();
        let r: String = replace.iter().map(|l| format!("{l}\n")).collect();
        let block = format!("<<<<<<< SEARCH\n{s}=======\n{r}>>>>>>> REPLACE\n");
        let fence = "`".repeat(fence_len);
        let reply = if fenced { format!("x/y.go\n{fence}go\n{block}{fence}\n") } else { format!("x/y.go\n{block}") };
        let parsed = parse_text_edits(&reply).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.edits, vec![sr("x/y.go", &s, &r)]);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        let _ = parse_text_edits(&s);
    }

    #[test]
    fn arbitrary_markdownish_text_never_panics(
        parts in prop::collection::vec(prop::sample::select(vec![
            "```", "```go", "~~~", "a.go", "**b.go**", "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE",
            "package a", "", "x := 1", "// a.go", "```go a.go", "   ```", "\t", "é",
        ]), 0..30)
    ) {
        let text = parts.join("\n");
        if let Ok(r) = parse_text_edits(&text) {
            prop_assert!(!r.edits.is_empty() || !r.unnamed.is_empty());
            for e in &r.edits {
                prop_assert!(!e.path().is_empty() && !e.path().starts_with('/') && !e.path().contains(".."));
            }
        }
    }

    #[test]
    fn resolve_never_panics_and_old_is_in_the_file(
        file in prop::collection::vec("[ \\ta-c]{0,6}", 0..8),
        search in prop::collection::vec("[ \\ta-c]{0,6}", 0..4),
    ) {
        let f: String = file.iter().map(|l| format!("{l}\n")).collect();
        let s: String = search.iter().map(|l| format!("{l}\n")).collect();
        if let Ok((old, _)) = resolve_search(&f, &s, "x\n") {
            prop_assert_eq!(f.matches(old.as_str()).count() >= 1, true);
        }
    }
}
