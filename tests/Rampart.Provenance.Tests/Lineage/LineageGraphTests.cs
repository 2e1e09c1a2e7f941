using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Tests.Lineage;

public sealed class LineageGraphTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LedgerSigner _signer = LedgerSigner.Generate("alice");
    private Ledger _ledger = null!;

    private static readonly string Data = LedgerTestKit.Digest("data");
    private static readonly string Other = LedgerTestKit.Digest("other-data");
    private static readonly string Model = LedgerTestKit.Digest("model");
    private static readonly string Tuned = LedgerTestKit.Digest("tuned");

    public async Task InitializeAsync()
    {
        _ledger = await Ledger.InitializeAsync(_folder.File("l.db"), "t", _signer);
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", "web").Set("manifest", Data).Build());
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", "unrelated").Set("manifest", Other).Build());
        await _ledger.RecordTrainingRunAsync(new TrainingRun("run-1", Model) { Datasets = [Data] });
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Evaluation).Set("model", Model).Set("metrics", "acc=0.9").Build());
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Approval).Set("subject", Model).Set("decision", "approved").Build());
        await _ledger.RecordTrainingRunAsync(new TrainingRun("run-2", Tuned) { BaseModel = Model });
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Deployment).Set("model", Tuned).Set("environment", "prod").Build());
        await _ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Revocation).Set("subject", Data).Set("reason", "licence withdrawn").Build());
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
    }

    public void Dispose()
    {
        _signer.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Trace_Model_ShowsUpstreamAndDownstream()
    {
        var graph = await _ledger.TraceAsync(Model);
        var ids = graph.Nodes.Select(n => n.Id).ToList();
        ids.Should().Contain([Data, "entry:0", "entry:2", "entry:3", "entry:4", "entry:5", Tuned, "entry:6"]);
        ids.Should().NotContain([Other, "entry:1"], "an unrelated dataset is not part of this lineage");
        graph.Edges.Should().Contain(new Provenance.Lineage.LineageEdge(Data, "entry:2", "input"))
            .And.Contain(new Provenance.Lineage.LineageEdge("entry:2", Model, "output"))
            .And.Contain(new Provenance.Lineage.LineageEdge(Tuned, "entry:6", "subject"));
        graph.Node(Data).Revoked.Should().Be("licence withdrawn");
    }

    [Fact]
    public async Task Trace_Deployment_WalksBackToTheDataset()
    {
        var graph = await _ledger.TraceAsync(Tuned);
        graph.Nodes.Select(n => n.Id).Should().Contain([Model, Data, "entry:0"]);
        var tree = graph.ToTree();
        tree.Should().Contain("upstream").And.Contain("dataset web").And.Contain("REVOKED: licence withdrawn").And.Contain("#6 deployment prod by alice");
    }

    [Fact]
    public async Task Trace_UnknownDigest_SaysSo()
    {
        var graph = await _ledger.TraceAsync(LedgerTestKit.Digest("nothing"));
        graph.Nodes.Should().BeEmpty();
        graph.ToTree().Should().Contain("not in the ledger");
    }

    [Fact]
    public async Task Render_DotAndMermaidAndJson_HaveEveryNodeAndEdge()
    {
        var graph = await _ledger.TraceAsync(Model);
        var dot = graph.ToDot();
        dot.Should().StartWith("digraph lineage {").And.Contain("color=red");
        dot.Split("->").Length.Should().Be(graph.Edges.Count + 1);
        var mermaid = graph.ToMermaid();
        mermaid.Should().StartWith("flowchart LR").And.Contain("-->|output|");
        mermaid.Split("-->").Length.Should().Be(graph.Edges.Count + 1);
        var json = System.Text.Json.Nodes.JsonNode.Parse(graph.ToJson())!;
        json["nodes"]!.AsArray().Count.Should().Be(graph.Nodes.Count);
        json["root"]!.GetValue<string>().Should().Be(Model);
    }
}
