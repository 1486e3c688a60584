import Testing
@testable import Tariffs

/// Regression tests for a fuzzing finding (Tests/Fuzz, `tariff` harness): toml++ inside TOMLKit
/// aborts the process (`parse_key()` assertion; SwiftPM does not define NDEBUG, even in release)
/// on a table header whose key starts with a character that is no key start. Minimised inputs: `[*` and `[` + line break;
/// and (the short fuzz run of `make test`) a byte order mark before `[=`, which toml++ skips.
@Suite struct TOMLPrecheckTests {
    @Test(arguments: ["[*", "[[%]]", "[ *x]", "name = \"x\"\n\n  [é]\n", "[[\t+]]", "[[[", "[\n", "[[ \r\na = 1",
                            "\u{FEFF}[=-va", "\u{FEFF}[*"])
    func tableHeaderThatAbortsTOMLKitIsAnError(_ text: String) {
        #expect(throws: TariffError.self) { try Tariff.parse(text, file: "t.toml") }
        #expect(TOMLPrecheck.unsafeTableHeader(in: text) != nil)
    }

    @Test func errorSaysWhere() {
        let at = TOMLPrecheck.unsafeTableHeader(in: "a = 1\n[ok]\n[*bad]")
        #expect(at?.line == 3)
        #expect(at?.column == 2)
    }

    @Test(arguments: ["[a]", "[[a]]", "[ \"q\" ]", "['lit']", "[-x]", "[_]", "[]", "[", "[ [a]]", "a = [\n  [1, 2],\n]", "[a]\r\nb = 1", "# [*\n",
                            "\u{FEFF}[a]\nb = 1"])
    func headersTOMLKitReportsItselfPassTheCheck(_ text: String) {
        #expect(TOMLPrecheck.unsafeTableHeader(in: text) == nil)
    }

    /// Finding 4 (`config` harness, minimised to `y=[}`): `}` where an array value should start.
    @Test(arguments: ["y=[}", "a = [1, }", "a = [\n  # note\n  }", "a = [ [ } ] ]", "a = [\r\n}", "t = {a = 1, }",
                      "\u{FEFF}y=[}"])
    func closingBraceWhereAValueShouldBeIsAnError(_ text: String) {
        #expect(throws: TariffError.self) { try Tariff.parse(text, file: "t.toml") }
        #expect(TOMLPrecheck.closingBraceAsArrayValue(in: text) != nil)
    }

    @Test func closingBraceErrorSaysWhere() {
        let at = TOMLPrecheck.abort(in: "a = 1\nb = [2,\n   }")
        #expect(at?.line == 3)
        #expect(at?.column == 4)
        #expect(at?.problem.contains("'}'") == true)
    }

    @Test(arguments: ["a = [1, 2]", "a = \"[}\"", "a = '[, }'", "a = \"\"\"\n[ }\"\"\"", "a = '''x\n, }'''", "# [ }\n",
                      "t = {a = [1], b = {c = 2}}", "a = \"q\\\"[}\"", "a = [{x = 1}, {y = 2}]", "a = \"\"\"x\"\"\"\"\"\nb = [1]"])
    func bracesInStringsCommentsAndValidNestingPass(_ text: String) {
        #expect(TOMLPrecheck.closingBraceAsArrayValue(in: text) == nil)
    }
}
