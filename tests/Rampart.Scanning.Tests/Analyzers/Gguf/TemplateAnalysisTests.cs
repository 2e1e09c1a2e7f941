using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Gguf;

public sealed class TemplateAnalysisTests
{
    private static IReadOnlyList<TemplateIssue> Analyze(string template) => TemplateAnalysis.Analyze(JinjaParser.Parse(template));

    public static TheoryData<string> BenignFamilies() => [.. ChatTemplates.Benign.Keys];

    public static TheoryData<string> HostileVariants() => [.. ChatTemplates.Hostile("/tmp/m").Keys];

    [Theory]
    [MemberData(nameof(BenignFamilies))]
    public void Analyze_BenignFamily_NoIssues(string family)
    {
        Analyze(ChatTemplates.Benign[family]).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(HostileVariants))]
    public void Analyze_HostileVariant_MaliciousIssue(string variant)
    {
        var issues = Analyze(ChatTemplates.Hostile("/tmp/m")[variant]);

        issues.Should().Contain(i => i.Kind == TemplateIssueKind.InternalAttribute || i.Kind == TemplateIssueKind.BuiltName || i.Kind == TemplateIssueKind.DangerousCall);
    }

    [Theory]
    [InlineData("{{ x|attr('__cla' ~ 'ss__') }}", "__class__")]
    [InlineData("{{ x|attr(['__cla', 'ss__']|join) }}", "__class__")]
    [InlineData("{{ x|attr('__'.join(['', 'class', ''])) }}", "__class__")]
    [InlineData("{{ x|attr('__{}__'.format('class')) }}", "__class__")]
    [InlineData("{{ x|attr('__%s__' % 'mro') }}", "__mro__")]
    [InlineData("{{ x|attr('%c%c%s%c%c'|format(95, 95, 'init', 95, 95)) }}", "__init__")]
    [InlineData("{{ x|attr('..class..'|replace('.', '_')) }}", "__class__")]
    [InlineData("{{ x|attr('__SUBCLASSES__'|lower) }}", "__subclasses__")]
    [InlineData("{{ x[('__' + 'dict' + '__')] }}", "__dict__")]
    [InlineData("{{ x|attr('__ssalc__'[::-1]) }}", "__class__")]
    [InlineData("{% set p = namespace(n='__class__') %}{{ x|attr(p.n) }}", "__class__")]
    [InlineData("{% with n = '__base__' %}{{ x[n] }}{% endwith %}", "__base__")]
    [InlineData("{{ x|map(attribute='__cl' ~ 'ass__')|list }}", "__class__")]
    [InlineData("{% set d = {'k': '__globals__'} %}{{ x[d['k']] }}", "__globals__")]
    [InlineData("{% macro m(a='__init__') %}{{ x|attr(a) }}{% endmacro %}{{ m() }}", "__init__")]
    [InlineData("{{ x|attr('o' ~ 's') }}", "os")]
    public void Analyze_NameBuiltAtRenderTime_FoldedToDangerousName(string template, string name)
    {
        var issues = Analyze(template);

        issues.Should().Contain(i => i.Kind == TemplateIssueKind.BuiltName && i.Name == name);
    }

    [Theory]
    [InlineData("{{ ''.__class__.__mro__[1].__subclasses__() }}")]
    [InlineData("{{ x['__globals__'] }}")]
    [InlineData("{{ x|attr('__class__') }}")]
    [InlineData("{{ x.gi_frame.f_globals }}")]
    [InlineData("{{ self._TemplateReference__context }}")]
    [InlineData("{{ x.mro() }}")]
    [InlineData("{{ x|selectattr('__class__')|list }}")]
    public void Analyze_LiteralInternalAttribute_Reported(string template)
    {
        Analyze(template).Should().Contain(i => i.Kind == TemplateIssueKind.InternalAttribute);
    }

    [Theory]
    [InlineData("{{ x|attr(name) }}")]
    [InlineData("{{ x|attr(message['role'] ~ 'x') }}")]
    [InlineData("{{ x[message.key ~ '_'] }}")]
    [InlineData("{{ x|map(attribute=message.field)|list }}")]
    public void Analyze_UnfoldableComputedName_ComputedIssue(string template)
    {
        Analyze(template).Should().Contain(i => i.Kind == TemplateIssueKind.ComputedName);
    }

    [Theory]
    [InlineData("{{ cycler.next }}", "GlobalReach")]
    [InlineData("{{ lipsum['x'] }}", "GlobalReach")]
    [InlineData("{{ request.application }}", "GlobalReach")]
    [InlineData("{{ config }}", "GlobalReach")]
    [InlineData("{% include 'a.html' %}", "TemplateLoad")]
    [InlineData("{% import 'm.html' as m %}", "TemplateLoad")]
    [InlineData("{% from 'm.html' import a as b, c with context %}", "TemplateLoad")]
    [InlineData("{% extends 'base.html' %}", "TemplateLoad")]
    [InlineData("{{ x.popen('id') }}", "DangerousCall")]
    [InlineData("{{ x.system('id') }}", "DangerousCall")]
    [InlineData("{{ eval('1') }}", "DangerousCall")]
    [InlineData("{{ x['os'] }}", "DangerousCall")]
    [InlineData("{{ os.listdir() }}", "DangerousCall")]
    [InlineData("{{ x[('sys' ~ '')].modules }}", "BuiltName")]
    public void Analyze_OtherReach_Reported(string template, string kind)
    {
        Analyze(template).Should().Contain(i => i.Kind.ToString() == kind);
    }

    [Theory]
    [InlineData("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'system' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}")]
    [InlineData("{% set comma = joiner(', ') %}{% for m in messages %}{{ comma() }}{{ m.content }}{% endfor %}")]
    [InlineData("{% set row = cycler('odd', 'even') %}{% for m in messages %}{{ row.next() }}{% endfor %}")]
    [InlineData("{{ messages|map(attribute='content')|join('\\n') }}")]
    [InlineData("{{ messages|selectattr('role', 'equalto', 'user')|list|length }}")]
    [InlineData("{% for key in message %}{{ message[key] }}{% endfor %}")]
    [InlineData("{{ messages[loop_index - 1]['content'] }}")]
    [InlineData("{{ range(3)|list }}{{ dict(a=1)|tojson }}")]
    [InlineData("{{ strftime_now('%Y-%m-%d') }}{{ raise_exception('bad role') }}")]
    [InlineData("{% set roles = {'user': 'USER', 'assistant': 'ASSISTANT'} %}{{ roles[message['role']] }}")]
    [InlineData("{% for message in messages %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.revindex0 }}{% endfor %}")]
    public void Analyze_NormalUse_NoIssues(string template)
    {
        Analyze(template).Should().BeEmpty();
    }
}
