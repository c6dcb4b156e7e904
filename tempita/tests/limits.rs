//! Bounds on the work one rendering may do: templates that ran for
//! seconds — or for ever — under the CPU-time guard of the fuzz target
//! (`fuzz/fuzz_targets/tempita.rs`) now fail with an `OverflowError` that
//! says which limit they hit.

use tempita::{Context, ErrorKind, Template};

/// A template with the fuzz target's work limit.
fn with_fuzz_budget(src: &str) -> Template {
    Template::builder(src).max_steps(50_000).build().unwrap()
}

fn render_err(template: &Template) -> tempita::Error {
    template
        .substitute(&Context::new())
        .expect_err("over a limit")
}

/// Over the fuzz target's guard: a 68-byte template of 9 million loop turns
/// (10 s under the fuzzer); nested wider, it never ends.
#[test]
fn nested_loops_stop_at_the_step_limit() {
    let src = "{{for i in range(3000)}}{{for j in range(3000)}}{{endfor}}{{endfor}}";
    let t = Template::builder(src).max_steps(100_000).build().unwrap();
    let err = render_err(&t);
    assert_eq!(err.kind(), ErrorKind::Overflow);
    assert!(
        err.to_string()
            .contains("the template did more than 100000 steps of work"),
        "{err}"
    );
    assert!(
        err.to_string().contains(":1:"),
        "the error says where: {err}"
    );
    // An empty loop body still costs its turns.
    let t = Template::builder("{{for i in range(1000)}}{{endfor}}")
        .max_steps(500)
        .build()
        .unwrap();
    assert_eq!(render_err(&t).kind(), ErrorKind::Overflow);
}

#[test]
fn the_default_limit_ends_an_endless_template() {
    // Ten ranges of a million items are ten million steps: the eleventh
    // is refused before it is built.
    let src = "{{for i in range(11)}}{{len(range(1000000))}}{{endfor}}";
    let err = render_err(&Template::new(src).unwrap());
    assert!(
        err.to_string().contains("more than 10000000 steps"),
        "{err}"
    );
}

/// Over the fuzz target's guard: `range(10**7)` (10 s), a 100 MB string by
/// repetition (1.4 s), the text of a 10-million-item list (5 s).
#[test]
fn sizes_are_capped_at_a_million() {
    for src in [
        "{{for i in range(10000000)}}{{endfor}}",
        "{{len(str(range(9999999)))}}",
        "{{'x' * 100000000}}",
        "{{'x' * 1000001}}",
        "{{[0] * 1000001}}",
    ] {
        let err = render_err(&Template::new(src).unwrap());
        assert_eq!(err.kind(), ErrorKind::Overflow, "{src}: {err}");
    }
    let ok = Template::new("{{len('x' * 1000000)}} {{len(range(1000000))}}").unwrap();
    assert_eq!(ok.substitute(&Context::new()).unwrap(), "1000000 1000000");
}

#[test]
fn ordinary_templates_are_far_from_the_limits() {
    let src = "{{for row in range(1000)}}<tr>{{for cell in range(10)}}<td>{{row * cell}}</td>{{endfor}}</tr>{{endfor}}";
    let t = Template::builder(src).max_steps(100_000).build().unwrap();
    assert!(
        t.substitute(&Context::new())
            .unwrap()
            .starts_with("<tr><td>0</td>")
    );
}

/// Found by the fuzzer: a step per operation let a loop of a few steps a
/// turn move megabytes a turn (a thousand turns of a 1 MB `%` ran for
/// 10 s of a release build; a big text node in a loop wrote gigabytes).
/// Text and items built or written now count too: a step per 16 bytes.
#[test]
fn big_values_in_a_loop_count_by_their_size() {
    let limited = |src: &str| {
        Template::builder(src)
            .max_steps(100_000)
            .build()
            .unwrap()
            .substitute(&Context::new().with("s", "x".repeat(1600)))
    };
    for src in [
        // built: 1,000 turns of 1,600 bytes = 100,000 steps of text
        "{{for i in range(1000)}}{{len(s + '')}}{{endfor}}",
        "{{for i in range(1000)}}{{len(s % ())}}{{endfor}}",
        "{{for i in range(1000)}}{{len(s.upper())}}{{endfor}}",
        "{{for i in range(1000)}}{{len(s[1:])}}{{endfor}}",
        "{{for i in range(1000)}}{{len([0] * 100)}}{{endfor}}",
        // written
        "{{for i in range(1000)}}{{s}}{{endfor}}",
        &format!(
            "{{{{for i in range(1000)}}}}{}{{{{endfor}}}}",
            "y".repeat(1600)
        ),
    ] {
        let err = limited(src).expect_err(src);
        assert_eq!(err.kind(), ErrorKind::Overflow, "{src}: {err}");
        assert!(err.to_string().contains("more than 100000 steps"), "{err}");
    }
    // A tenth of the turns is within the limit.
    let out = limited("{{for i in range(100)}}{{s}}{{endfor}}").unwrap();
    assert_eq!(out.len(), 160_000);
}

/// The fuzzer's input: a 1 MB string through `%`, which copied the text a
/// character at a time (100 ms of the fuzz build); it is copied whole
/// between conversions now, and its seed stays in the fuzz corpus.
#[test]
fn percent_formatting_of_a_big_string() {
    let t = Template::new("{{len('x' * 1000000 % ())}} {{'x' * 1000000 % 0}}").unwrap();
    let err = render_err(&t);
    assert!(
        err.to_string()
            .contains("not all arguments converted during string formatting"),
        "{err}"
    );
    let t = Template::new("{{len(('é' * 300000 + '%s') % 'ü')}}").unwrap();
    assert_eq!(t.substitute(&Context::new()).unwrap(), "300001");
}

/// Found by the fuzzer: an empty list or tuple repeated a huge number of
/// times passed the size check (0 items) and then looped that many times
/// (`{{()*17*177777777777777777}}` never ended).
#[test]
fn an_empty_sequence_repeats_at_once() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let src =
            "{{() * 17 * 177777777777777777}}|{{[] * 9000000000000000000}}|{{len(() * 10**18)}}";
        let out = Template::new(src)
            .unwrap()
            .substitute(&Context::new())
            .unwrap();
        let _ = tx.send(out);
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("an empty repetition still running after 20 s");
    assert_eq!(out, "()|[]|0");
}

/// Found by the fuzzer: `f(*s)` with a 600 KB string made 600,000
/// arguments on one step, and a comprehension's turns were not counted.
/// Every iteration now counts a step per item (a string's, per byte),
/// before the items are made.
#[test]
fn iterating_counts_every_item() {
    let context = Context::new()
        .with("s", "x".repeat(200_000))
        .with("l", vec![1; 200]);
    for src in [
        "{{max(*s)}}",
        "{{for i in range(1000)}}{{max(*l)}}{{endfor}}",
        "{{len([c for c in s])}}",
        "{{for i in range(1000)}}{{len([x for x in l])}}{{endfor}}",
        "{{for c in s}}{{endfor}}",
    ] {
        let t = Template::builder(src).max_steps(100_000).build().unwrap();
        let err = t.substitute(&context).expect_err(src);
        assert!(
            err.to_string().contains("more than 100000 steps"),
            "{src}: {err}"
        );
    }
}

/// Found by the fuzzer: `'%.122541f' % 1` panicked inside Rust's
/// formatting (which takes a precision below 65,536); precisions are now
/// at most 10,000, an OverflowError past it.
#[test]
fn a_huge_precision_is_an_error_not_a_panic() {
    for ty in ['e', 'E', 'f', 'F', 'g', 'G'] {
        for src in [
            format!("{{{{'%.122541{ty}' % 1}}}}"),
            format!("{{{{'%.65535{ty}' % 0.0001}}}}"),
            format!("{{{{'{{:.10001{ty}}}'.format(1.5)}}}}"),
        ] {
            let err = render_err(&Template::new(&src).unwrap());
            assert_eq!(err.kind(), ErrorKind::Overflow, "{src}: {err}");
            assert!(err.to_string().contains("precision too large"), "{err}");
        }
        for src in [
            format!("{{{{len('%.10000{ty}' % 0.0001)}}}}"),
            format!("{{{{len('%#.10000{ty}' % 1e300)}}}}"),
            format!("{{{{len('{{:.10000{ty}}}'.format(-1e-300))}}}}"),
        ] {
            let out = Template::new(&src)
                .unwrap()
                .substitute(&Context::new())
                .unwrap_or_else(|e| panic!("{src}: {e}"));
            // 'g' drops trailing zeros: 0.0001 has 68 characters in full.
            assert!(out.parse::<usize>().unwrap() >= 68, "{src}: {out}");
        }
    }
    let t = Template::new("{{'{:.10000%}'.format(0.5)}}").unwrap();
    assert!(t.substitute(&Context::new()).unwrap().ends_with("0%"));
}

/// The text of a list is a copy of the text of every item: `[s] * 1000` is
/// a thousand items but a gigabyte of text when `s` is a megabyte. It was
/// counted after it was made — 6.7 s of a release build for `{{[s] *
/// 1000}}`, and `str([s] * 1000000)` asked for a terabyte and aborted the
/// process. Each way of making that text now counts it first.
#[test]
fn the_text_of_a_list_is_counted_before_it_is_made() {
    for shown in [
        "{{[s] * 1000}}",
        "{{str([s] * 1000000)[:10]}}",
        "{{repr([s] * 1000000)[:10]}}",
        "{{'%s' % ([s] * 1000000,)}}",
        "{{'{}'.format([s] * 1000000)}}",
        "{{'{x}'.format(x={'k': [s] * 1000000})}}",
        "{{(s, [[s] * 1000] * 1000)}}",
    ] {
        let src = format!("{{{{py:s = 'x' * 1000000}}}}{shown}");
        for html in [false, true] {
            let err = if html {
                tempita::HtmlTemplate::new(&src)
                    .unwrap()
                    .substitute(&Context::new())
                    .expect_err("over the limit")
            } else {
                render_err(&Template::new(&src).unwrap())
            };
            assert_eq!(err.kind(), ErrorKind::Overflow, "{shown}: {err}");
            assert!(err.to_string().contains("steps of work"), "{shown}: {err}");
        }
    }
    // Under the limit, the same text is written in full.
    let t = Template::new("{{py:s = 'xy' * 100}}{{len(str([s] * 1000))}} {{[s[:2]] * 2}}").unwrap();
    assert_eq!(
        t.substitute(&Context::new()).unwrap(),
        "204000 ['xy', 'xy']"
    );
}

/// `x += y` did not count its result, so a loop that grows a string by
/// concatenation copied it for every turn for free (minutes for 2,000
/// turns of up to 600 kB); `x = x + y` always counted.
#[test]
fn augmented_assignment_counts_its_result() {
    let src = "{{py:s = 'x' * 500000}}{{py:x = ''}}{{for i in range(2000)}}{{py:x += s[:i*300]}}{{endfor}}{{len(x)}}";
    let err = render_err(&Template::new(src).unwrap());
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    let t =
        Template::new("{{py:x = 'a'}}{{for i in range(3)}}{{py:x += 'b'}}{{endfor}}{{x}}").unwrap();
    assert_eq!(t.substitute(&Context::new()).unwrap(), "abbb");
}

/// A float formatted with a big precision makes and trims that many digits
/// however short the result: `'%.4442g' % 160049903207` is 15 characters.
/// Counted by its length only, 6,136 of them took 618 ms in the fuzz
/// target's 50,000 steps. The precision counts now, a step per 16 digits.
#[test]
fn a_big_precision_counts_as_work() {
    for src in [
        "{{for i in range(6136)}}{{'%-02.4442g' % 160049903207}}{{endfor}}",
        "{{for i in range(6136)}}{{'{:.4442g}'.format(160049903207)}}{{endfor}}",
    ] {
        let t = with_fuzz_budget(src);
        assert_eq!(render_err(&t).kind(), ErrorKind::Overflow, "{src}");
    }
    let t = Template::new("{{'%.4442g' % 0.5}} {{'{:.3f}'.format(2.0)}}").unwrap();
    assert_eq!(t.substitute(&Context::new()).unwrap(), "0.5 2.000");
}

/// Repetition made its result before counting it: `range(6136) * 158` is
/// 969,488 items from a 30-byte template, and the fuzz target spent 49 ms
/// making them past its 50,000 steps. It is counted first now.
#[test]
fn repetition_is_counted_before_it_is_made() {
    for src in [
        "{{for i in range(6136) * 158}}{{endfor}}",
        "{{len([0] * 999999)}}",
        "{{len((0,) * 999999)}}",
        "{{len('0123456789abcdef' * 60000)}}",
        "{{len(60000 * '0123456789abcdef')}}",
    ] {
        let t = with_fuzz_budget(src);
        let mut err = None;
        let memory = allocation_counter::measure(|| err = Some(render_err(&t)));
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::Overflow, "{src}: {err}");
        assert!(err.to_string().contains("steps of work"), "{src}: {err}");
        // Made and then refused, the million items took 23 MB.
        assert!(memory.bytes_max < 1_000_000, "{src}: {memory:?}");
    }
    let t = with_fuzz_budget("{{len([0] * 40000)}} {{'ab' * 2}} {{3 * 'c'}} {{[1] * -1}}");
    assert_eq!(t.substitute(&Context::new()).unwrap(), "40000 abab ccc []");
}

/// Renders `src` on a thread with a stack of `stack` bytes: a stack
/// overflow aborts the whole test binary, so a regression cannot pass.
fn render_on_stack(src: String, stack: usize) -> Result<String, tempita::Error> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let t = Template::builder(&src).max_steps(10_000_000).build()?;
            t.substitute(&Context::new())
        })
        .unwrap()
        .join()
        .unwrap()
}

/// `x` nested `turns` times by `step`, then `tail`.
fn nested(init: &str, step: &str, turns: usize, tail: &str) -> String {
    format!(
        "{{{{py:x = {init}}}}}{{{{for i in range({turns})}}}}{{{{py:{step}}}}}{{{{endfor}}}}{tail}"
    )
}

/// Every way a template can wrap a value in another.
const NESTINGS: [(&str, &str); 7] = [
    ("1", "x = [x]"),
    ("1", "x = (x,)"),
    ("dict()", "x = dict(a=x)"),
    ("1", "x = bunch(a=x)"),
    ("1", "x = looper([x])"),
    ("[1]", "x[0] = x"),
    ("[1]", "x = [x.index]"),
];

/// `{{py:x = [x]}}` in a 30,000-turn loop (inside the default work limit)
/// nested lists so deep that showing or dropping them overflowed a Tokio
/// worker's 2 MiB stack and aborted the process. Nesting now stops at 200
/// levels with a RecursionError, however the nesting is made.
#[test]
fn containers_nest_at_most_200_deep() {
    for (init, step) in NESTINGS {
        let src = nested(init, step, 30_000, "{{x}}");
        let err = render_on_stack(src, 2 << 20).expect_err(step);
        assert_eq!(err.kind(), ErrorKind::Other, "{step}: {err}");
        assert!(
            err.to_string()
                .contains("RecursionError: maximum nesting depth exceeded"),
            "{step}: {err}"
        );
    }
    let src = nested("1", "x = [x]", 199, "{{len(repr(x))}}");
    assert_eq!(render_on_stack(src, 2 << 20).unwrap(), "399");
}

/// At the nesting limit and the call limit at once, in a debug build, on a
/// thread with a 128 KiB stack: a rendering takes more stack from the heap
/// when the thread has too little left, instead of overflowing.
#[test]
fn the_deepest_values_and_calls_fit_any_thread_stack() {
    let calls = "{{def f(n)}}{{if n}}{{f(n - 1)}}{{else}}{{x}}{{repr(x)}}{{x == x}}{{str(x)}}{{endif}}{{enddef}}{{f(38)}}";
    for (init, step) in NESTINGS {
        let turns = if step.contains("index") { 99 } else { 199 };
        let src = nested(init, step, turns, calls);
        let out = render_on_stack(src, 128 << 10).unwrap_or_else(|e| panic!("{step}: {e}"));
        assert!(out.contains("True"), "{step}: {out}");
    }
}

/// A value nested too deep that the host built itself is refused where it
/// comes in, with its name.
#[test]
fn host_values_nested_too_deep_are_refused_by_name() {
    let mut deep = tempita::Value::from(1);
    for _ in 0..300 {
        deep = tempita::Value::tuple([deep]);
    }
    let t = Template::new("{{x}}").unwrap();
    let err = t
        .substitute(&Context::new().with("x", deep.clone()))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the value of x nests containers more than 200 deep"),
        "{err}"
    );
    let err = Template::builder("{{y}}")
        .namespace_value("y", deep)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("the value of y"), "{err}");
}
