using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Protocols;

namespace Rampart.Guard.Tests.Protocols;

public sealed class ProtocolReaderTests
{
    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private static GuardBody Request(GuardProtocol protocol, string json)
    {
        var result = ProtocolReader.ReadRequest(protocol, Utf8(json));
        result.Error.Should().BeNull();
        return result.Body!;
    }

    private static GuardBody Response(GuardProtocol protocol, string json)
    {
        var result = ProtocolReader.ReadResponse(protocol, Utf8(json));
        result.Error.Should().BeNull();
        return result.Body!;
    }

    [Fact]
    public void Chat_Request_ReadsMessagesRolesModelAndStream()
    {
        var body = Request(GuardProtocol.OpenAiChat, """
            {"model":"gpt-x","stream":true,"temperature":0.2,"messages":[
              {"role":"system","content":"be nice"},
              {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"http://x"}},{"type":"text","text":"part two"}]},
              {"role":"assistant","content":null,"tool_calls":[]},
              {"role":"tool","content":"tool says"}]}
            """);
        body.Model.Should().Be("gpt-x");
        body.Stream.Should().BeTrue();
        body.Payload.Texts().Select(t => (t.Text, t.Source)).Should().Equal(
            ("be nice", TextSource.SystemPrompt), ("part one", TextSource.UserInput), ("part two", TextSource.UserInput), ("tool says", TextSource.ToolOutput));
    }

    [Fact]
    public void Chat_Write_ReplacesOnlyChangedTextsAndKeepsUnknownFields()
    {
        var body = Request(GuardProtocol.OpenAiChat, """
            {"model":"m","x_vendor":{"keep":[1,2]},"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b","extra":true}]}]}
            """);
        var written = JsonNode.Parse(body.Write(body.Payload.WithTexts(new Dictionary<int, string> { [1] = "B!" })))!;
        written["x_vendor"]!["keep"]!.AsArray().Count.Should().Be(2);
        written["messages"]![0]!["content"]!.GetValue<string>().Should().Be("a");
        written["messages"]![1]!["content"]![0]!["text"]!.GetValue<string>().Should().Be("B!");
        written["messages"]![1]!["content"]![0]!["extra"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public void Chat_ResponseAndStreamChunk_AreModelOutputWithUsage()
    {
        var whole = Response(GuardProtocol.OpenAiChat, """{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}""");
        whole.Payload.Texts().Should().ContainSingle().Which.Should().Be(new PayloadText(0, "hello", TextSource.ModelOutput));
        whole.Usage.Should().Be(new TokenUsage(3, 5, 8));

        var chunk = Response(GuardProtocol.OpenAiChat, """{"id":"c1","choices":[{"index":0,"delta":{"content":"hel"}}]}""");
        chunk.Payload.Texts().Single().Text.Should().Be("hel");
        JsonNode.Parse(chunk.Write(chunk.Payload.WithTexts(new Dictionary<int, string> { [0] = "xx" })))!["choices"]![0]!["delta"]!["content"]!.GetValue<string>().Should().Be("xx");
    }

    [Theory]
    [InlineData("""{"model":"m","prompt":"one"}""", new[] { "one" })]
    [InlineData("""{"model":"m","prompt":["one","two"]}""", new[] { "one", "two" })]
    [InlineData("""{"model":"m","prompt":[[1,2,3]]}""", new string[0])]
    public void Completions_Request_ReadsPrompts(string json, string[] expected) =>
        Request(GuardProtocol.OpenAiCompletions, json).Payload.Texts().Select(t => t.Text).Should().Equal(expected);

    [Fact]
    public void Embeddings_Request_ReadsInputsAndWritesThemBack()
    {
        var body = Request(GuardProtocol.OpenAiEmbeddings, """{"model":"e","input":["a","b"],"dimensions":8}""");
        body.Payload.Texts().Select(t => t.Text).Should().Equal("a", "b");
        var written = JsonNode.Parse(body.Write(body.Payload.WithTexts(new Dictionary<int, string> { [0] = "z" })))!;
        written["input"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("z", "b");
        written["dimensions"]!.GetValue<int>().Should().Be(8);
    }

    [Fact]
    public void Completions_Response_ReadsChoiceTexts() =>
        Response(GuardProtocol.OpenAiCompletions, """{"choices":[{"text":"x"},{"text":"y"}]}""").Payload.Texts().Select(t => (t.Text, t.Source))
            .Should().Equal(("x", TextSource.ModelOutput), ("y", TextSource.ModelOutput));

    [Fact]
    public void TfServing_Instances_RowsAndNamedFeatures()
    {
        var rows = (PredictPayload)Request(GuardProtocol.TfServing, """{"signature_name":"s","instances":[[1.0,2,3],[4,5,6]]}""").Payload;
        rows.Instances.Select(r => r.Select(v => v.Number).ToArray()).Should().BeEquivalentTo(new[] { new double?[] { 1, 2, 3 }, new double?[] { 4, 5, 6 } });
        var named = (PredictPayload)Request(GuardProtocol.TfServing, """{"instances":[{"age":30,"city":"Oslo"},{"age":40,"city":null}]}""").Payload;
        named.FeatureNames.Should().Equal("age", "city");
        named.Instances[0][1].Text.Should().Be("Oslo");
        named.Instances[1][1].IsMissing.Should().BeTrue();
        var columns = (PredictPayload)Request(GuardProtocol.TfServing, """{"inputs":{"a":[1,2],"b":[3,4]}}""").Payload;
        columns.Instances.Should().HaveCount(2);
        columns.Instances[1].Select(v => v.Number).Should().Equal(2, 4);
    }

    [Fact]
    public void TfServing_Predictions_ScoresAndLabels_WriteBackMasked()
    {
        var body = Response(GuardProtocol.TfServing, """{"predictions":[[0.1,0.9],{"probabilities":[0.7,0.3],"classes":"a","keep":1},3]}""");
        var p = (PredictionPayload)body.Payload;
        p.Predictions[0].Scores.Should().Equal(0.1, 0.9);
        p.Predictions[1].Label.Should().Be("a");
        p.Predictions[2].Label.Should().Be("3");
        var masked = p with { Predictions = [new Prediction("1", []), new Prediction("a", []), p.Predictions[2]] };
        var written = JsonNode.Parse(body.Write(masked))!;
        written["predictions"]![0]!.GetValue<long>().Should().Be(1);
        written["predictions"]![1]!.AsObject().ContainsKey("probabilities").Should().BeFalse();
        written["predictions"]![1]!["keep"]!.GetValue<int>().Should().Be(1);
        written["predictions"]![2]!.GetValue<int>().Should().Be(3);
    }

    [Theory]
    [InlineData("""{"dataframe_split":{"columns":["a","b"],"data":[[1,2],[3,4]]}}""")]
    [InlineData("""{"dataframe_records":[{"a":1,"b":2},{"a":3,"b":4}]}""")]
    [InlineData("""{"inputs":{"a":[1,3],"b":[2,4]}}""")]
    public void Mlflow_RequestForms_GiveTheSameRows(string json)
    {
        var p = (PredictPayload)Request(GuardProtocol.MlflowInvocations, json).Payload;
        p.FeatureNames.Should().Equal("a", "b");
        p.Instances.Select(r => r.Select(v => v.Number!.Value).ToArray()).Should().BeEquivalentTo(new[] { new[] { 1.0, 2 }, new[] { 3.0, 4 } });
    }

    [Fact]
    public void Mlflow_Instances_AndBareOrWrappedPredictions()
    {
        ((PredictPayload)Request(GuardProtocol.MlflowInvocations, """{"instances":[[1,2,3]]}""").Payload).Instances.Single().Should().HaveCount(3);
        var wrapped = Response(GuardProtocol.MlflowInvocations, """{"predictions":[[0.2,0.8]]}""");
        ((PredictionPayload)wrapped.Payload).Predictions.Single().Scores.Should().Equal(0.2, 0.8);
        var bare = Response(GuardProtocol.MlflowInvocations, """[[0.2,0.8],[0.6,0.4]]""");
        var rounded = (PredictionPayload)bare.Payload with { Predictions = [new Prediction(null, [0.0, 1.0]), new Prediction(null, [1.0, 0.0])] };
        JsonNode.Parse(bare.Write(rounded))![1]![0]!.GetValue<double>().Should().Be(1.0);
    }

    [Fact]
    public void Mlflow_SplitRowOfWrongWidth_IsShapeError() =>
        ProtocolReader.ReadRequest(GuardProtocol.MlflowInvocations, Utf8("""{"dataframe_split":{"columns":["a","b"],"data":[[1,2,3]]}}""")).Error!.Kind.Should().Be(ProtocolErrorKind.UnexpectedShape);

    [Fact]
    public void InferenceV2_Request_BatchAndColumnsAcrossTensors()
    {
        var p = (PredictPayload)Request(GuardProtocol.InferenceV2, """
            {"id":"1","inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]},{"name":"flag","shape":[2],"datatype":"BOOL","data":[true,false]}]}
            """).Payload;
        p.FeatureNames.Should().Equal("x[0]", "x[1]", "flag");
        p.Instances[1].Select(v => v.Number).Should().Equal(3, 4, 0);
    }

    [Fact]
    public void InferenceV2_Response_LabelOnlyRemovesScoreTensor()
    {
        var body = Response(GuardProtocol.InferenceV2, """
            {"model_name":"m","outputs":[{"name":"label","shape":[2],"datatype":"INT64","data":[1,0]},{"name":"probabilities","shape":[2,2],"datatype":"FP32","data":[0.1,0.9,0.8,0.2]}]}
            """);
        var p = (PredictionPayload)body.Payload;
        p.Predictions.Select(x => x.Label).Should().Equal("1", "0");
        p.Predictions[1].Scores.Should().Equal(0.8, 0.2);
        var written = JsonNode.Parse(body.Write(p with { Predictions = [.. p.Predictions.Select(x => x with { Scores = [] })] }))!;
        written["outputs"]!.AsArray().Should().ContainSingle();
        written["model_name"]!.GetValue<string>().Should().Be("m");
    }

    [Fact]
    public void InferenceV2_ShapeDisagreeingWithData_IsShapeError() =>
        ProtocolReader.ReadRequest(GuardProtocol.InferenceV2, Utf8("""{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}]}""")).Error!.Kind.Should().Be(ProtocolErrorKind.UnexpectedShape);

    public static TheoryData<GuardProtocol, byte[], ProtocolErrorKind> BadBodies() => new()
    {
        { GuardProtocol.OpenAiChat, Utf8("{\"messages\":["), ProtocolErrorKind.MalformedJson },
        { GuardProtocol.TfServing, Utf8("not json"), ProtocolErrorKind.MalformedJson },
        { GuardProtocol.OpenAiChat, [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], ProtocolErrorKind.InvalidUtf8 },
        { GuardProtocol.MlflowInvocations, [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D], ProtocolErrorKind.InvalidUtf8 },
        { GuardProtocol.OpenAiChat, Utf8(new string('[', 40) + new string(']', 40)), ProtocolErrorKind.TooDeep },
        { GuardProtocol.InferenceV2, Utf8("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":" + new string('[', 35) + "1" + new string(']', 35) + "}]}"), ProtocolErrorKind.TooDeep },
        { GuardProtocol.OpenAiChat, Utf8("[1,2]"), ProtocolErrorKind.UnexpectedShape },
        { GuardProtocol.OpenAiChat, Utf8("{\"messages\":[{\"content\":\"no role\"}]}"), ProtocolErrorKind.UnexpectedShape },
        { GuardProtocol.OpenAiChat, Utf8("{\"messages\":[{\"role\":\"user\",\"content\":{\"x\":1}}]}"), ProtocolErrorKind.UnexpectedShape },
        { GuardProtocol.TfServing, Utf8("{\"instances\":[{\"a\":1},{\"b\":2}]}"), ProtocolErrorKind.UnexpectedShape },
        { GuardProtocol.InferenceV2, Utf8("{\"inputs\":[{\"name\":\"x\",\"shape\":[-1],\"data\":[]}]}"), ProtocolErrorKind.UnexpectedShape },
        { GuardProtocol.MlflowInvocations, Utf8("null"), ProtocolErrorKind.UnexpectedShape },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public void BadBody_IsAClearErrorNotAnException(GuardProtocol protocol, byte[] body, ProtocolErrorKind kind)
    {
        var result = ProtocolReader.ReadRequest(protocol, body);
        result.Ok.Should().BeFalse();
        result.Error!.Kind.Should().Be(kind);
        result.Error.StatusCode.Should().Be(400);
        result.Error.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void OversizedBody_Is413_ForEveryProtocol()
    {
        var limits = new ProtocolLimits { MaxBodyBytes = 64 };
        foreach (var protocol in Enum.GetValues<GuardProtocol>())
        {
            var result = ProtocolReader.ReadRequest(protocol, Utf8("{\"prompt\":\"" + new string('a', 100) + "\"}"), limits: limits);
            result.Error!.Kind.Should().Be(ProtocolErrorKind.BodyTooLarge, protocol.ToString());
            result.Error.StatusCode.Should().Be(413);
        }
    }

    [Fact]
    public void TooManyValues_IsRefused()
    {
        var limits = new ProtocolLimits { MaxItems = 10 };
        var json = "{\"instances\":[" + string.Join(',', Enumerable.Repeat("[1,2,3]", 5)) + "]}";
        ProtocolReader.ReadRequest(GuardProtocol.TfServing, Utf8(json), limits: limits).Error!.Kind.Should().Be(ProtocolErrorKind.TooManyItems);
        ProtocolReader.ReadRequest(GuardProtocol.TfServing, Utf8("{\"instances\":[[1,2,3]]}"), limits: limits).Ok.Should().BeTrue();
    }

    [Fact]
    public void Opaque_KeepsBytes()
    {
        var bytes = new byte[] { 0xff, 0x00, 0x01 };
        var body = ProtocolReader.ReadRequest(GuardProtocol.Opaque, bytes, "application/octet-stream").Body!;
        ((OpaquePayload)body.Payload).Body.ToArray().Should().Equal(bytes);
        body.Write(body.Payload).Should().Equal(bytes);
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        var random = new Random(11);
        foreach (var protocol in Enum.GetValues<GuardProtocol>())
        {
            for (var i = 0; i < 200; i++)
            {
                var seed = Utf8("""{"messages":[{"role":"user","content":"x"}],"inputs":[{"name":"a","shape":[1,2],"data":[1,2]}],"instances":[[1,2]],"prompt":"p","input":"i"}""");
                var length = random.Next(seed.Length);
                var mutated = seed.AsSpan(0, length).ToArray();
                if (mutated.Length > 0)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                var act = () => { _ = ProtocolReader.ReadRequest(protocol, mutated); _ = ProtocolReader.ReadResponse(protocol, mutated); };
                act.Should().NotThrow();
            }
        }
    }
}
