using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Joblib;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// Python pickles of protocols 0-5, and everything built on them (PyTorch's data.pkl and legacy saves, joblib,
/// dill, numpy object arrays): emulates the stream symbolically with <see cref="PickleMachine"/>, never
/// unpickling, and judges every global it imports with <see cref="GlobalJudge"/>.
/// </summary>
internal sealed class PickleAnalyzer : IArtifactAnalyzer
{
    /// <summary>An EXT1/EXT2/EXT4 reference into copyreg's extension registry.</summary>
    public const string ExtensionRule = "RAMP-PKL-003";

    /// <summary>STACK_GLOBAL with a module or name computed at load time.</summary>
    public const string ComputedGlobalRule = "RAMP-PKL-004";

    /// <summary>A speculative later pickle that breaks within this many opcodes, having imported nothing, is trailing data.</summary>
    private const int PlausiblePickleOpcodes = 8;

    public string Id => "pickle";

    public bool CanAnalyze(Artifact artifact) => PickleSniffer.LooksLikePickle(artifact);

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var sniffed = PickleSniffer.TakeOver(artifact, context.Limits);
        var seen = sniffed?.Machine.Seen ?? new PickleObservations();
        var pickles = 0;
        long? trailingAt = null;
        var stream = await OpenRestAsync(artifact, sniffed is null ? 0 : artifact.Head.Length, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var bufferSize = (int)Math.Clamp(artifact.Length ?? PickleInput.DefaultBufferSize, 4096, PickleInput.DefaultBufferSize);
            PickleInput input;
            if (sniffed is not null)
            {
                // The sniffer already emulated the head: its machine goes on with the rest of the file.
                input = sniffed.Machine.Input;
                input.Continue(stream, bufferSize);
                sniffed.Machine.ContinueUnder(context.Limits, cancellationToken);
            }
            else
            {
                input = new PickleInput(stream, bufferSize);
            }

            try
            {
                while (true)
                {
                    if (pickles >= context.Limits.MaxPicklesPerStream)
                    {
                        result.LimitReached("max-pickles-per-stream", $"more than {context.Limits.MaxPicklesPerStream} pickles in one stream", FindingLocation.AtOffset(input.Position));
                        break;
                    }

                    var start = input.Position;
                    var attempt = pickles == 0 ? seen : new PickleObservations { Opcodes = seen.Opcodes, Registry = seen.Registry };
                    var run = pickles == 0 && sniffed is not null
                        ? (sniffed.Run.Paused ? sniffed.Machine.Run() : sniffed.Run)
                        : new PickleMachine(input, attempt, context.Limits, JoblibArrayHook.Instance, cancellationToken).Run();
                    if (pickles > 0)
                    {
                        if (!run.Completed && !attempt.HasReferences && run.Opcodes < PlausiblePickleOpcodes)
                        {
                            trailingAt = start;
                            break;
                        }

                        attempt.Opcodes -= seen.Opcodes;
                        seen.MergeFrom(attempt);
                    }

                    pickles++;
                    if (!run.Completed)
                    {
                        ReportBroken(result, run, pickles);
                        break;
                    }

                    if (input.AtEnd)
                    {
                        break;
                    }

                    if (!PickleOpcodes.IsOpcode(input.Peek()))
                    {
                        trailingAt = input.Position;
                        break;
                    }
                }
            }
            catch (LimitExceededException e)
            {
                result.LimitReached(e.LimitName, e.Message, FindingLocation.AtOffset(input.Position));
            }
        }

        ReportGlobals(result, seen, context);
        SetFacts(result, seen, pickles, trailingAt, artifact.Length);
        return result;
    }

    /// <summary>The artifact from byte <paramref name="from"/> on (the bytes after a head the sniffer already read).</summary>
    private static async ValueTask<Stream> OpenRestAsync(Artifact artifact, int from, CancellationToken cancellationToken)
    {
        if (from > 0 && artifact.HeadIsComplete)
        {
            return Stream.Null;
        }

        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (from == 0)
        {
            return stream;
        }

        if (stream.CanSeek)
        {
            stream.Position = from;
            return stream;
        }

        try
        {
            var skip = new byte[from];
            await stream.ReadExactlyAsync(skip, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void ReportBroken(AnalysisResult result, PickleRunResult run, int index)
    {
        var error = run.Error!;
        var detail = $"opcode {run.ErrorOpcode}";
        var message = $"pickle #{index} is malformed at offset {error.Offset} ({detail}): {error.Message}";
        if (error.RuleId is { } ruleId)
        {
            result.Report(ruleId, message, FindingLocation.AtOffset(error.Offset, detail), [new("opcode", run.ErrorOpcode ?? "?")]);
        }
        else
        {
            result.Inconclusive(message, FindingLocation.AtOffset(error.Offset, detail));
        }
    }

    private static void ReportGlobals(AnalysisResult result, PickleObservations seen, AnalysisContext context)
    {
        var judge = GlobalJudge.For(context);
        foreach (var use in seen.Globals.OrderBy(g => g.Offset))
        {
            var judgement = judge.Judge(use.Module, use.Name, use.RawName);
            if (judgement.Class == GlobalClass.Clean)
            {
                continue;
            }

            var location = FindingLocation.AtOffset(use.Offset, $"opcode {use.Opcode}");
            KeyValuePair<string, string>[] properties =
            [
                new("name", use.FullName),
                new("opcode", use.Opcode),
                new("via", use.Via),
                new("decidedBy", judgement.Source),
            ];
            var written = use.RawName == use.FullName ? string.Empty : $" (written as {use.RawName})";
            var message = judgement.RuleId switch
            {
                GlobalJudge.CapabilityRule => $"the pickle imports {use.FullName}{written}, which no exact allow-list entry names and whose source can reach "
                    + $"{string.Join(", ", judgement.Reach!.Capabilities.Select(c => Capabilities.Capability.Words[c]))}: {judgement.Reach.ChainText} ({judgement.Reach.From})",
                GlobalJudge.NoCapabilityRule => $"the pickle imports {use.FullName}{written}, which no allow-list profile knows; its source, read by Rampart's "
                    + "capability map, reaches no process execution, eval/exec/compile, code objects, dynamic import, file writes, network, ctypes or nested deserialization, but its code still runs on load",
                _ when judgement.Class == GlobalClass.Review => $"the pickle instantiates {use.FullName}{written} ({judgement.Source}): a legitimate class, but its own code runs when the file is loaded",
                GlobalJudge.UnknownGlobalRule => $"the pickle imports {use.FullName}{written}, which no allow-list profile knows as safe; loading the file calls or builds it",
                _ => $"the pickle imports {use.FullName}{written} ({judgement.Source}); loading the file hands it to the loader",
            };
            if (judgement.Reach is { } reach)
            {
                properties = [.. properties, new("chain", reach.ChainText), new("capabilities", string.Join(",", reach.Capabilities))];
            }

            result.Report(judgement.RuleId!, message, location, properties);
        }

        foreach (var ext in seen.Extensions)
        {
            result.Report(ExtensionRule, $"{ext.Opcode} refers to copyreg extension code {ext.Detail}, which names a global only the loading process knows",
                FindingLocation.AtOffset(ext.Offset, $"opcode {ext.Opcode}"), [new("name", "<extension " + ext.Detail + ">"), new("opcode", ext.Opcode)]);
        }

        foreach (var dynamic in seen.Dynamic)
        {
            result.Report(ComputedGlobalRule, $"STACK_GLOBAL imports a name computed while loading ({dynamic.Detail}); what it imports cannot be known without running the pickle",
                FindingLocation.AtOffset(dynamic.Offset, $"opcode {dynamic.Opcode}"), [new("name", "<computed>"), new("opcode", dynamic.Opcode)]);
        }
    }

    private static void SetFacts(AnalysisResult result, PickleObservations seen, int pickles, long? trailingAt, long? length)
    {
        result.SetFact("pickles", pickles);
        result.SetFact("opcodes", seen.Opcodes);
        result.SetFact("protocols", seen.Protocols.Count == 0 ? "0" : string.Join(",", seen.Protocols));
        result.SetFact("globals", string.Join(" ", seen.Globals.Select(g => g.FullName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)));
        if (seen.PersistentIds > 0)
        {
            result.SetFact("persistentIds", seen.PersistentIds);
        }

        if (seen.OutOfBandBuffers > 0)
        {
            result.SetFact("outOfBandBuffers", seen.OutOfBandBuffers);
        }

        if (seen.JoblibArrays > 0)
        {
            result.SetFact("joblibArrays", seen.JoblibArrays);
        }

        if (seen.NestedPickles > 0)
        {
            result.SetFact("nestedPickles", seen.NestedPickles);
        }

        if (trailingAt is { } at)
        {
            result.SetFact("trailingDataOffset", at);
            if (length is { } total)
            {
                result.SetFact("trailingDataBytes", (total - at).ToString(CultureInfo.InvariantCulture));
            }
        }
    }
}
