using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>Lets a format built on pickle (joblib) act right after a BUILD, as its own unpickler subclass does.</summary>
internal interface IPickleBuildHook
{
    /// <summary>
    /// Called after BUILD set the state of <paramref name="instance"/> (an instance of <paramref name="type"/>).
    /// Returns the value that replaces it on the stack, or null to leave the stack alone.
    /// </summary>
    PValue? AfterBuild(PickleMachine machine, PObject instance, PGlobal type);
}

/// <summary>How one emulated pickle ended.</summary>
/// <param name="Completed">STOP was reached.</param>
/// <param name="Opcodes">Opcodes executed in this pickle.</param>
/// <param name="Error">The malformation that stopped it, if any.</param>
/// <param name="ErrorOpcode">The opcode being executed when it broke.</param>
internal sealed record PickleRunResult(bool Completed, long Opcodes, PickleFormatException? Error, string? ErrorOpcode)
{
    /// <summary>
    /// The run stopped between two opcodes because it reached the pause point it was given, with no error: the
    /// machine's state is whole and <see cref="PickleMachine.Run"/> goes on from there.
    /// </summary>
    public bool Paused { get; init; }

    /// <summary>What STOP returned, symbolically.</summary>
    public PValue? Value { get; init; }
}

/// <summary>
/// Emulates CPython's pure-Python <c>pickle._Unpickler</c> opcode by opcode over symbolic values: the same stack
/// and mark discipline, the same memo, the same argument encodings and the same failures, but nothing is ever
/// imported, called or constructed. Every reference to a global is recorded in <see cref="PickleObservations"/>.
/// One instance runs one pickle; <see cref="RunNested"/> runs a pickle embedded in the stream (joblib object arrays).
/// </summary>
internal sealed class PickleMachine
{
    /// <summary>Strings longer than this keep only this prefix (they are skipped, not copied).</summary>
    public const int KeptStringBytes = PickleArguments.KeptStringBytes;

    private const int MaxNesting = 4;

    private readonly PickleInput _input;
    private readonly PickleObservations _seen;
    private ScanLimits _limits;
    private readonly IPickleBuildHook? _hook;
    private readonly int _nesting;
    private CancellationToken _cancellationToken;
    private readonly List<PValue> _stack = [];
    private readonly List<int> _marks = [];
    private PickleArguments _args;
    private readonly PickleMemo _memo = new();
    private int _protocol;
    private long _opcodes;
    private PValue? _result;

    public PickleMachine(PickleInput input, PickleObservations seen, ScanLimits limits, IPickleBuildHook? hook, CancellationToken cancellationToken, int nesting = 0)
    {
        _input = input;
        _seen = seen;
        _limits = limits;
        _hook = hook;
        _cancellationToken = cancellationToken;
        _nesting = nesting;
        _args = new PickleArguments(input, limits);
    }

    public PickleInput Input => _input;

    public PickleObservations Seen => _seen;

    /// <summary>The protocol announced by PROTO (0 when there was none), as the unpickler tracks it.</summary>
    public int Protocol => _protocol;

    /// <summary>
    /// Runs one pickle from the current position to its STOP, or until <paramref name="pauseAfter"/> opcodes of this
    /// pickle have run (then <see cref="PickleRunResult.Paused"/>; calling Run again goes on from the same place).
    /// Never throws for malformed input.
    /// </summary>
    public PickleRunResult Run(long pauseAfter = long.MaxValue)
    {
        var opcode = -1;
        long offset = 0;
        try
        {
            while (true)
            {
                if (_opcodes >= pauseAfter)
                {
                    return new PickleRunResult(false, _opcodes, null, null) { Paused = true };
                }

                offset = _input.Position;
                opcode = _input.ReadByte();
                if (opcode < 0)
                {
                    throw new PickleFormatException("the stream ends before STOP (pickle data was truncated)", offset, atEnd: true);
                }

                _opcodes++;
                if (++_seen.Opcodes > _limits.MaxPickleOpcodes)
                {
                    throw new LimitExceededException("max-pickle-opcodes", $"more than {_limits.MaxPickleOpcodes:N0} pickle opcodes");
                }

                if ((_opcodes & 0xFFFF) == 0)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                }

                if (Step((byte)opcode, offset))
                {
                    return new PickleRunResult(true, _opcodes, null, null) { Value = _result };
                }
            }
        }
        catch (PickleFormatException e)
        {
            // Findings point at the opcode; where inside its argument things went wrong goes into the message.
            var error = e.Offset == offset ? e : new PickleFormatException($"{e.Message} (at byte {e.Offset})", offset, e.AtEnd, e.RuleId);
            return new PickleRunResult(false, _opcodes, error, PickleOpcodes.NameOf(opcode) ?? (opcode < 0 ? "end of stream" : $"0x{opcode:x2}"));
        }
    }

    /// <summary>
    /// Limits and cancellation for the rest of a run that was started (and paused or stopped) under others: the
    /// sniffer's head emulation, taken over by the analyzer.
    /// </summary>
    public void ContinueUnder(ScanLimits limits, CancellationToken cancellationToken)
    {
        _limits = limits;
        _args = new PickleArguments(_input, limits);
        _cancellationToken = cancellationToken;
    }

    /// <summary>Runs a complete pickle that is embedded at the current position (used by format hooks).</summary>
    public PickleRunResult RunNested()
    {
        if (_nesting >= MaxNesting)
        {
            throw new LimitExceededException("max-pickle-nesting", $"pickles nested more than {MaxNesting} deep inside one stream");
        }

        _seen.NestedPickles++;
        return new PickleMachine(_input, _seen, _limits, hook: null, _cancellationToken, _nesting + 1).Run();
    }

    /// <summary>Executes one opcode; true at STOP.</summary>
    private bool Step(byte op, long offset)
    {
        switch (op)
        {
            case PickleOpcodes.Proto:
            {
                var version = _input.Read(1, "PROTO argument")[0];
                if (version > PickleOpcodes.HighestProtocol)
                {
                    throw new PickleFormatException($"unsupported pickle protocol: {version}", offset);
                }

                _protocol = version;
                _seen.Protocols.Add(version);
                return false;
            }

            case PickleOpcodes.Frame:
                _input.Read(8, "FRAME length");
                return false;
            case PickleOpcodes.Stop:
                _result = Pop(offset);
                return true;
            case PickleOpcodes.Mark:
                _marks.Add(_stack.Count);
                CheckStack();
                return false;
            case PickleOpcodes.Pop:
                if (_stack.Count > Base)
                {
                    _stack.RemoveAt(_stack.Count - 1);
                }
                else
                {
                    PopMark(offset);
                }

                return false;
            case PickleOpcodes.PopMark:
                PopMark(offset);
                return false;
            case PickleOpcodes.Dup:
                Push(Top(offset));
                return false;
            case PickleOpcodes.None:
                Push(PAtom.None);
                return false;
            case PickleOpcodes.NewTrue:
                Push(PAtom.True);
                return false;
            case PickleOpcodes.NewFalse:
                Push(PAtom.False);
                return false;
            case PickleOpcodes.Int:
            {
                var line = _input.ReadLine(4096, "INT");
                if (line.SequenceEqual("00"u8))
                {
                    Push(PAtom.False);
                }
                else if (line.SequenceEqual("01"u8))
                {
                    Push(PAtom.True);
                }
                else
                {
                    Push(PickleCodecs.ParseInt(line, allowLongSuffix: false, offset, "INT"));
                }

                return false;
            }

            case PickleOpcodes.Long:
                Push(PickleCodecs.ParseInt(_input.ReadLine(_limits.MaxPickleStringBytes, "LONG"), allowLongSuffix: true, offset, "LONG"));
                return false;
            case PickleOpcodes.BinInt:
                Push(PInt.Of(BinaryPrimitives.ReadInt32LittleEndian(_input.Read(4, "BININT argument"))));
                return false;
            case PickleOpcodes.BinInt1:
                Push(PInt.Of(_input.Read(1, "BININT1 argument")[0]));
                return false;
            case PickleOpcodes.BinInt2:
                Push(PInt.Of(BinaryPrimitives.ReadUInt16LittleEndian(_input.Read(2, "BININT2 argument"))));
                return false;
            case PickleOpcodes.Long1:
                Push(_args.ReadLong(_input.Read(1, "LONG1 length")[0], "LONG1"));
                return false;
            case PickleOpcodes.Long4:
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(_input.Read(4, "LONG4 length"));
                if (length < 0)
                {
                    throw new PickleFormatException("LONG pickle has negative byte count", offset);
                }

                Push(_args.ReadLong(length, "LONG4"));
                return false;
            }

            case PickleOpcodes.Float:
            {
                var line = _input.ReadLine(4096, "FLOAT");
                if (!PickleCodecs.IsPythonFloat(line))
                {
                    throw new PickleFormatException("could not convert the FLOAT argument to a float", offset);
                }

                Push(PAtom.Float);
                return false;
            }

            case PickleOpcodes.BinFloat:
                _input.Read(8, "BINFLOAT argument");
                Push(PAtom.Float);
                return false;
            case PickleOpcodes.String:
                Push(_args.ReadQuotedString(offset));
                return false;
            case PickleOpcodes.BinString:
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(_input.Read(4, "BINSTRING length"));
                if (length < 0)
                {
                    throw new PickleFormatException("BINSTRING pickle has negative byte count", offset);
                }

                Push(_args.ReadCountedString(length, "BINSTRING", Encoding.Latin1));
                return false;
            }

            case PickleOpcodes.ShortBinString:
                Push(_args.ReadCountedString(_input.Read(1, "SHORT_BINSTRING length")[0], "SHORT_BINSTRING", Encoding.Latin1));
                return false;
            case PickleOpcodes.Unicode:
                Push(new PStr(PickleCodecs.DecodeRawUnicodeEscape(_input.ReadLine(_limits.MaxPickleStringBytes, "UNICODE"), offset), false, "UNICODE"));
                return false;
            case PickleOpcodes.BinUnicode:
                Push(_args.ReadCountedString(BinaryPrimitives.ReadUInt32LittleEndian(_input.Read(4, "BINUNICODE length")), "BINUNICODE", Encoding.UTF8));
                return false;
            case PickleOpcodes.ShortBinUnicode:
                Push(_args.ReadCountedString(_input.Read(1, "SHORT_BINUNICODE length")[0], "SHORT_BINUNICODE", Encoding.UTF8));
                return false;
            case PickleOpcodes.BinUnicode8:
                Push(_args.ReadCountedString(_args.ReadLength8("BINUNICODE8", offset), "BINUNICODE8", Encoding.UTF8));
                return false;
            case PickleOpcodes.BinBytes:
                Push(_args.SkipBytes(BinaryPrimitives.ReadUInt32LittleEndian(_input.Read(4, "BINBYTES length")), "BINBYTES", mutable: false));
                return false;
            case PickleOpcodes.ShortBinBytes:
                Push(_args.SkipBytes(_input.Read(1, "SHORT_BINBYTES length")[0], "SHORT_BINBYTES", mutable: false));
                return false;
            case PickleOpcodes.BinBytes8:
                Push(_args.SkipBytes(_args.ReadLength8("BINBYTES8", offset), "BINBYTES8", mutable: false));
                return false;
            case PickleOpcodes.ByteArray8:
                Push(_args.SkipBytes(_args.ReadLength8("BYTEARRAY8", offset), "BYTEARRAY8", mutable: true));
                return false;
            case PickleOpcodes.NextBuffer:
                _seen.OutOfBandBuffers++;
                Push(PAtom.Buffer);
                return false;
            case PickleOpcodes.ReadOnlyBuffer:
                Top(offset);
                return false;
            case PickleOpcodes.PersId:
            {
                var line = _input.ReadLine(_limits.MaxPickleStringBytes, "PERSID");
                _seen.PersistentIds++;
                Push(new PPersistent(new PStr(PickleArguments.Keep(line, Encoding.Latin1), line.Length > KeptStringBytes, "PERSID")));
                return false;
            }

            case PickleOpcodes.BinPersId:
                _seen.PersistentIds++;
                Push(new PPersistent(Pop(offset)));
                return false;
            case PickleOpcodes.EmptyTuple:
                Push(new PSeq(SeqKind.Tuple));
                return false;
            case PickleOpcodes.Tuple:
                Push(new PSeq(SeqKind.Tuple, PopMark(offset)));
                return false;
            case PickleOpcodes.Tuple1:
            {
                var a = Pop(offset);
                Push(new PSeq(SeqKind.Tuple, [a]));
                return false;
            }

            case PickleOpcodes.Tuple2:
            {
                var b = Pop(offset);
                var a = Pop(offset);
                Push(new PSeq(SeqKind.Tuple, [a, b]));
                return false;
            }

            case PickleOpcodes.Tuple3:
            {
                var c = Pop(offset);
                var b = Pop(offset);
                var a = Pop(offset);
                Push(new PSeq(SeqKind.Tuple, [a, b, c]));
                return false;
            }

            case PickleOpcodes.EmptyList:
                Push(new PSeq(SeqKind.List));
                return false;
            case PickleOpcodes.List:
                Push(new PSeq(SeqKind.List, PopMark(offset)));
                return false;
            case PickleOpcodes.EmptyDict:
                Push(new PSeq(SeqKind.Dict));
                return false;
            case PickleOpcodes.Dict:
            {
                var items = PopMark(offset);
                if (items.Count % 2 != 0)
                {
                    throw new PickleFormatException("DICT needs key/value pairs but the mark holds an odd number of items", offset);
                }

                Push(new PSeq(SeqKind.Dict, items));
                return false;
            }

            case PickleOpcodes.EmptySet:
                Push(new PSeq(SeqKind.Set));
                return false;
            case PickleOpcodes.FrozenSet:
                Push(new PSeq(SeqKind.FrozenSet, PopMark(offset)));
                return false;
            case PickleOpcodes.Append:
            {
                var value = Pop(offset);
                AddTo(Top(offset), value);
                return false;
            }

            case PickleOpcodes.Appends:
            case PickleOpcodes.AddItems:
                AddMarkedItemsToTop(offset, pairs: false);
                return false;

            case PickleOpcodes.SetItem:
            {
                var value = Pop(offset);
                var key = Pop(offset);
                var target = Top(offset);
                AddTo(target, key);
                AddTo(target, value);
                if (target is PGlobal registry)
                {
                    SetRegistryItem(registry, key, value, offset);
                }

                return false;
            }

            case PickleOpcodes.SetItems:
                AddMarkedItemsToTop(offset, pairs: true);
                return false;

            case PickleOpcodes.Get:
                Push(MemoGet(PickleCodecs.ParseMemoKey(_input.ReadLine(64, "GET"), offset, "GET"), offset));
                return false;
            case PickleOpcodes.BinGet:
                Push(MemoGet(_input.Read(1, "BINGET argument")[0], offset));
                return false;
            case PickleOpcodes.LongBinGet:
                Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(_input.Read(4, "LONG_BINGET argument")), offset));
                return false;
            case PickleOpcodes.Put:
                MemoPut(PickleCodecs.ParseMemoKey(_input.ReadLine(64, "PUT"), offset, "PUT"), offset);
                return false;
            case PickleOpcodes.BinPut:
                MemoPut(_input.Read(1, "BINPUT argument")[0], offset);
                return false;
            case PickleOpcodes.LongBinPut:
                MemoPut(BinaryPrimitives.ReadUInt32LittleEndian(_input.Read(4, "LONG_BINPUT argument")), offset);
                return false;
            case PickleOpcodes.Memoize:
                MemoPut(_memo.Count, offset);
                return false;
            case PickleOpcodes.Global:
            {
                var module = _args.ReadNameLine("GLOBAL module");
                var name = _args.ReadNameLine("GLOBAL name");
                Push(MakeGlobal(module, name, "GLOBAL", "GLOBAL", offset));
                return false;
            }

            case PickleOpcodes.StackGlobal:
                Push(StackGlobal(offset));
                return false;
            case PickleOpcodes.Inst:
            {
                var module = _args.ReadNameLine("INST module");
                var name = _args.ReadNameLine("INST name");
                var type = MakeGlobal(module, name, "INST", "INST", offset);
                var args = new PSeq(SeqKind.Tuple, PopMark(offset));
                Push(new PObject(type, args, "INST"));
                NoteCall(type, args, offset);
                return false;
            }

            case PickleOpcodes.Obj:
            {
                var args = PopMark(offset);
                if (args.Count == 0)
                {
                    throw new PickleFormatException("OBJ needs a class after the mark but the mark is empty", offset);
                }

                var type = args[0];
                args.RemoveAt(0);
                var tuple = new PSeq(SeqKind.Tuple, args);
                Push(new PObject(type, tuple, "OBJ"));
                NoteCall(type, tuple, offset);
                return false;
            }

            case PickleOpcodes.NewObj:
            {
                var args = Pop(offset);
                var type = Pop(offset);
                Push(new PObject(type, args, "NEWOBJ"));
                return false;
            }

            case PickleOpcodes.NewObjEx:
            {
                Pop(offset);
                var args = Pop(offset);
                var type = Pop(offset);
                Push(new PObject(type, args, "NEWOBJ_EX"));
                return false;
            }

            case PickleOpcodes.Reduce:
            {
                var args = Pop(offset);
                var callable = Top(offset);
                _stack[^1] = new PObject(callable, args, "REDUCE");
                NoteCall(callable, args, offset);
                return false;
            }

            case PickleOpcodes.Build:
                Build(offset);
                return false;
            case PickleOpcodes.Ext1:
                Push(Extension(_input.Read(1, "EXT1 argument")[0], "EXT1", offset));
                return false;
            case PickleOpcodes.Ext2:
                Push(Extension(BinaryPrimitives.ReadUInt16LittleEndian(_input.Read(2, "EXT2 argument")), "EXT2", offset));
                return false;
            case PickleOpcodes.Ext4:
                Push(Extension(BinaryPrimitives.ReadInt32LittleEndian(_input.Read(4, "EXT4 argument")), "EXT4", offset));
                return false;
            default:
                throw new PickleFormatException($"invalid load key 0x{op:x2}: not a pickle opcode", offset);
        }
    }

    private int Base => _marks.Count == 0 ? 0 : _marks[^1];

    private void Push(PValue value)
    {
        _stack.Add(value);
        CheckStack();
    }

    private void CheckStack()
    {
        if (_stack.Count + _marks.Count > _limits.MaxPickleStack)
        {
            throw new LimitExceededException("max-pickle-stack", $"the pickle stack grows past {_limits.MaxPickleStack:N0} entries");
        }
    }

    private PValue Pop(long offset)
    {
        if (_stack.Count <= Base)
        {
            throw new PickleFormatException("unpickling stack underflow", offset);
        }

        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private PValue Top(long offset) =>
        _stack.Count > Base ? _stack[^1] : throw new PickleFormatException("unpickling stack underflow", offset);

    private List<PValue> PopMark(long offset)
    {
        if (_marks.Count == 0)
        {
            throw new PickleFormatException("could not find MARK", offset);
        }

        var start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    /// <summary>APPENDS, ADDITEMS, SETITEMS: pops to the mark and adds the items to the container below it, in place.</summary>
    private void AddMarkedItemsToTop(long offset, bool pairs)
    {
        if (_marks.Count == 0)
        {
            throw new PickleFormatException("could not find MARK", offset);
        }

        var start = _marks[^1];
        var count = _stack.Count - start;
        if (pairs && count % 2 != 0)
        {
            throw new PickleFormatException("SETITEMS needs key/value pairs but the mark holds an odd number of items", offset);
        }

        _marks.RemoveAt(_marks.Count - 1);
        if (start <= Base)
        {
            _marks.Add(start);
            throw new PickleFormatException("unpickling stack underflow", offset);
        }

        if (_stack[start - 1] is PSeq seq)
        {
            _memo.NoteKeptItems(Math.Min(count, Math.Max(0, PSeq.KeptItems - seq.Items.Count)));
            for (var i = start; i < _stack.Count; i++)
            {
                seq.Add(_stack[i]);
            }
        }
        else if (pairs && _stack[start - 1] is PGlobal registry)
        {
            for (var i = start; i + 1 < _stack.Count; i += 2)
            {
                SetRegistryItem(registry, _stack[i], _stack[i + 1], offset);
            }
        }

        _stack.RemoveRange(start, count);
    }

    private void AddTo(PValue target, PValue item)
    {
        if (target is PSeq seq)
        {
            if (seq.Items.Count < PSeq.KeptItems)
            {
                _memo.NoteKeptItems(1);
            }

            seq.Add(item);
        }
    }

    private PValue MemoGet(long key, long offset) =>
        _memo.Get(key) ?? throw new PickleFormatException($"memo value not found at index {key}", offset);

    private void MemoPut(long key, long offset)
    {
        if (_memo.Put(key, Top(offset), _input.Position) && _memo.Count > _limits.MaxPickleStack)
        {
            throw new LimitExceededException("max-pickle-stack", $"the pickle memo grows past {_limits.MaxPickleStack:N0} entries");
        }
    }

    private void Build(long offset)
    {
        var state = Pop(offset);
        var instance = Top(offset);
        if (instance is not PObject obj)
        {
            return;
        }

        obj.State = state;
        if (_hook is not null && ClassOf(obj) is { } type && _hook.AfterBuild(this, obj, type) is { } replacement)
        {
            _stack[^1] = replacement;
        }
    }

    /// <summary>The class an object was made from: the callable of NEWOBJ/OBJ/INST, or the class passed to copyreg._reconstructor.</summary>
    public static PGlobal? ClassOf(PObject obj)
    {
        if (obj.Callable is not PGlobal g)
        {
            return null;
        }

        if (g.FullName == "copyreg._reconstructor" && obj.Args is PSeq { Items.Count: > 0 } args && args.Items[0] is PGlobal inner)
        {
            return inner;
        }

        return g;
    }

    private PGlobal MakeGlobal(string module, string name, string opcode, string via, long offset)
    {
        var (fixedModule, fixedName) = _protocol < 3 ? PythonNames.FixImports(module, name) : (module, name);
        _seen.AddGlobal(new GlobalUse(fixedModule, fixedName, module + "." + name, opcode, via, offset));
        return new PGlobal(fixedModule, fixedName, resolved: true);
    }

    private PGlobal StackGlobal(long offset)
    {
        var name = Pop(offset);
        var module = Pop(offset);
        if (module is PStr m && name is PStr n && !m.Truncated && !n.Truncated)
        {
            var via = m.ViaMemo || n.ViaMemo ? "STACK_GLOBAL via memo" : "STACK_GLOBAL";
            return MakeGlobal(m.Value, n.Value, "STACK_GLOBAL", $"{via} (module from {m.Source}, name from {n.Source})", offset);
        }

        if (module is PStr or PObject or PPersistent && name is PStr or PObject or PPersistent)
        {
            // A call result may be a str at load time: the name is computed by the loader and cannot be judged here.
            _seen.Dynamic.Add(new UnresolvedGlobal("STACK_GLOBAL", $"module {module.Describe()}, name {name.Describe()}", offset));
            return new PGlobal("<computed>", "<computed>", resolved: false);
        }

        throw new PickleFormatException($"STACK_GLOBAL requires str operands, got {module.Describe()} and {name.Describe()}", offset);
    }

    /// <summary>
    /// EXT1/EXT2/EXT4: the loader imports whatever copyreg's registry holds under the code. A code registered
    /// earlier in the stream resolves to that global (through find_class, so with the same Python 2 fix-ups);
    /// one registered nowhere in the stream names a global only the loading process knows.
    /// </summary>
    private PGlobal Extension(long code, string opcode, long offset)
    {
        var text = code.ToString(CultureInfo.InvariantCulture);
        var registered = _seen.Registry.Lookup(code);
        if (registered.Count == 0)
        {
            _seen.Extensions.Add(new UnresolvedGlobal(opcode, text, offset));
            return new PGlobal("<copyreg extension>", text, resolved: false);
        }

        PGlobal? first = null;
        foreach (var entry in registered)
        {
            var global = MakeGlobal(entry.Module, entry.Name, opcode, $"{opcode} code {text}, registered by {entry.How} at offset {entry.Offset}", offset);
            first ??= global;
        }

        return first!;
    }

    /// <summary>
    /// SETITEM(S) on copyreg's own dicts: <c>_inverted_registry[code] = (module, name)</c> is what add_extension
    /// writes and what EXT opcodes read; <c>_extension_cache[code] = obj</c> hands EXT the object directly.
    /// </summary>
    private void SetRegistryItem(PGlobal target, PValue key, PValue value, long offset)
    {
        if (key is not PInt { Value: { } code })
        {
            return;
        }

        switch (target.FullName)
        {
            case "copyreg._inverted_registry" when value is PSeq { Kind: SeqKind.Tuple, Items: [PStr module, PStr name] }:
                RegisterExtension(code, module, name, "copyreg._inverted_registry[code] = (module, name)", offset);
                break;
            case "copyreg._extension_cache" when value is PGlobal { Resolved: true } global:
                _seen.Registry.Register(code, new ExtensionRegistration(global.Module, global.Name, "copyreg._extension_cache[code] = global", offset));
                break;
            default:
                break;
        }
    }

    /// <summary>REDUCE, INST and OBJ call their callable: <c>copyreg.add_extension(module, name, code)</c> registers a code.</summary>
    private void NoteCall(PValue callable, PValue args, long offset)
    {
        if (callable is PGlobal { FullName: "copyreg.add_extension" } && args is PSeq { Kind: SeqKind.Tuple, Items: [PStr module, PStr name, PInt { Value: { } code }] })
        {
            RegisterExtension(code, module, name, "copyreg.add_extension", offset);
        }
    }

    private void RegisterExtension(long code, PStr module, PStr name, string how, long offset)
    {
        if (!module.Truncated && !name.Truncated)
        {
            _seen.Registry.Register(code, new ExtensionRegistration(module.Value, name.Value, how, offset));
        }
    }

}
