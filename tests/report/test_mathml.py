from graders.report.mathml import latex_to_mathml


def test_latex_from_the_symbolic_checker_becomes_mathml_with_the_latex_as_alttext():
    math = latex_to_mathml(r"e^{\frac{{\|q\|^2}}{2 \sigma^{2}}}")
    assert math.startswith('<math display="inline"')
    assert "<mfrac>" in math and "<msup>" in math and "σ" in math
    assert 'alttext="e^{\\frac' in math
    assert "xmlns" not in math                                       # inline HTML needs no namespace URL


def test_big_o_with_text_subscripts_and_roots_convert():
    assert "<mtext>random</mtext>" in latex_to_mathml(r"O\left(D D_{\text{random}} N\right)")
    assert "<mroot>" in latex_to_mathml(r"\sigma = \sqrt[4]{D}")


def test_markup_smuggled_through_text_is_refused_not_passed_through():
    for latex in (r'\text{<b id="x">hi</b>}', r"\text{<img src=x onerror=alert(1)>}",
                  r"\text{<script>alert(1)</script>}"):
        assert latex_to_mathml(latex) is None, latex


def test_links_styles_and_colours_are_dropped_from_attributes():
    for latex in (r"\href{javascript:alert(1)}{x}", r"\style{background:url(x)}{x}", r'\color{red" onload="x}{y}'):
        math = latex_to_mathml(latex)
        assert math is not None
        inside = math.split('">', 1)[1]                                # after the <math ... alttext="..."> tag
        assert "href" not in inside and "style=" not in inside and "onload" not in inside and "color=" not in inside


def test_unknown_commands_and_broken_latex_fall_back_to_code():
    assert latex_to_mathml(r"\foo{x}") is None
    assert latex_to_mathml(r"\frac{1}{") is None
    assert latex_to_mathml("") is None
    assert latex_to_mathml("x" * 5000) is None


def test_comparison_signs_are_escaped_inside_mathml():
    math = latex_to_mathml("a < b")
    assert "<mo>&lt;</mo>" in math and 'alttext="a &lt; b"' in math
