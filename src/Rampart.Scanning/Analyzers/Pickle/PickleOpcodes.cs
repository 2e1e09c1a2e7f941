namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>The opcodes of pickle protocols 0 to 5, by byte value, with the names CPython's pickletools uses.</summary>
internal static class PickleOpcodes
{
    public const byte Mark = (byte)'(';
    public const byte Stop = (byte)'.';
    public const byte Pop = (byte)'0';
    public const byte PopMark = (byte)'1';
    public const byte Dup = (byte)'2';
    public const byte Float = (byte)'F';
    public const byte Int = (byte)'I';
    public const byte BinInt = (byte)'J';
    public const byte BinInt1 = (byte)'K';
    public const byte Long = (byte)'L';
    public const byte BinInt2 = (byte)'M';
    public const byte None = (byte)'N';
    public const byte PersId = (byte)'P';
    public const byte BinPersId = (byte)'Q';
    public const byte Reduce = (byte)'R';
    public const byte String = (byte)'S';
    public const byte BinString = (byte)'T';
    public const byte ShortBinString = (byte)'U';
    public const byte Unicode = (byte)'V';
    public const byte BinUnicode = (byte)'X';
    public const byte Append = (byte)'a';
    public const byte Build = (byte)'b';
    public const byte Global = (byte)'c';
    public const byte Dict = (byte)'d';
    public const byte EmptyDict = (byte)'}';
    public const byte Appends = (byte)'e';
    public const byte Get = (byte)'g';
    public const byte BinGet = (byte)'h';
    public const byte Inst = (byte)'i';
    public const byte LongBinGet = (byte)'j';
    public const byte List = (byte)'l';
    public const byte EmptyList = (byte)']';
    public const byte Obj = (byte)'o';
    public const byte Put = (byte)'p';
    public const byte BinPut = (byte)'q';
    public const byte LongBinPut = (byte)'r';
    public const byte SetItem = (byte)'s';
    public const byte Tuple = (byte)'t';
    public const byte EmptyTuple = (byte)')';
    public const byte SetItems = (byte)'u';
    public const byte BinFloat = (byte)'G';
    public const byte Proto = 0x80;
    public const byte NewObj = 0x81;
    public const byte Ext1 = 0x82;
    public const byte Ext2 = 0x83;
    public const byte Ext4 = 0x84;
    public const byte Tuple1 = 0x85;
    public const byte Tuple2 = 0x86;
    public const byte Tuple3 = 0x87;
    public const byte NewTrue = 0x88;
    public const byte NewFalse = 0x89;
    public const byte Long1 = 0x8a;
    public const byte Long4 = 0x8b;
    public const byte BinBytes = (byte)'B';
    public const byte ShortBinBytes = (byte)'C';
    public const byte ShortBinUnicode = 0x8c;
    public const byte BinUnicode8 = 0x8d;
    public const byte BinBytes8 = 0x8e;
    public const byte EmptySet = 0x8f;
    public const byte AddItems = 0x90;
    public const byte FrozenSet = 0x91;
    public const byte NewObjEx = 0x92;
    public const byte StackGlobal = 0x93;
    public const byte Memoize = 0x94;
    public const byte Frame = 0x95;
    public const byte ByteArray8 = 0x96;
    public const byte NextBuffer = 0x97;
    public const byte ReadOnlyBuffer = 0x98;

    /// <summary>Highest protocol any Python release writes or reads.</summary>
    public const int HighestProtocol = 5;

    private static readonly string?[] Names = BuildNames();

    /// <summary>The pickletools name of an opcode byte, or null when the byte is no opcode.</summary>
    public static string? NameOf(int opcode) => opcode is >= 0 and < 256 ? Names[opcode] : null;

    public static bool IsOpcode(int value) => NameOf(value) is not null;

    private static string?[] BuildNames()
    {
        var names = new string?[256];
        void Add(byte code, string name) => names[code] = name;
        Add(Mark, "MARK");
        Add(Stop, "STOP");
        Add(Pop, "POP");
        Add(PopMark, "POP_MARK");
        Add(Dup, "DUP");
        Add(Float, "FLOAT");
        Add(Int, "INT");
        Add(BinInt, "BININT");
        Add(BinInt1, "BININT1");
        Add(Long, "LONG");
        Add(BinInt2, "BININT2");
        Add(None, "NONE");
        Add(PersId, "PERSID");
        Add(BinPersId, "BINPERSID");
        Add(Reduce, "REDUCE");
        Add(String, "STRING");
        Add(BinString, "BINSTRING");
        Add(ShortBinString, "SHORT_BINSTRING");
        Add(Unicode, "UNICODE");
        Add(BinUnicode, "BINUNICODE");
        Add(Append, "APPEND");
        Add(Build, "BUILD");
        Add(Global, "GLOBAL");
        Add(Dict, "DICT");
        Add(EmptyDict, "EMPTY_DICT");
        Add(Appends, "APPENDS");
        Add(Get, "GET");
        Add(BinGet, "BINGET");
        Add(Inst, "INST");
        Add(LongBinGet, "LONG_BINGET");
        Add(List, "LIST");
        Add(EmptyList, "EMPTY_LIST");
        Add(Obj, "OBJ");
        Add(Put, "PUT");
        Add(BinPut, "BINPUT");
        Add(LongBinPut, "LONG_BINPUT");
        Add(SetItem, "SETITEM");
        Add(Tuple, "TUPLE");
        Add(EmptyTuple, "EMPTY_TUPLE");
        Add(SetItems, "SETITEMS");
        Add(BinFloat, "BINFLOAT");
        Add(Proto, "PROTO");
        Add(NewObj, "NEWOBJ");
        Add(Ext1, "EXT1");
        Add(Ext2, "EXT2");
        Add(Ext4, "EXT4");
        Add(Tuple1, "TUPLE1");
        Add(Tuple2, "TUPLE2");
        Add(Tuple3, "TUPLE3");
        Add(NewTrue, "NEWTRUE");
        Add(NewFalse, "NEWFALSE");
        Add(Long1, "LONG1");
        Add(Long4, "LONG4");
        Add(BinBytes, "BINBYTES");
        Add(ShortBinBytes, "SHORT_BINBYTES");
        Add(ShortBinUnicode, "SHORT_BINUNICODE");
        Add(BinUnicode8, "BINUNICODE8");
        Add(BinBytes8, "BINBYTES8");
        Add(EmptySet, "EMPTY_SET");
        Add(AddItems, "ADDITEMS");
        Add(FrozenSet, "FROZENSET");
        Add(NewObjEx, "NEWOBJ_EX");
        Add(StackGlobal, "STACK_GLOBAL");
        Add(Memoize, "MEMOIZE");
        Add(Frame, "FRAME");
        Add(ByteArray8, "BYTEARRAY8");
        Add(NextBuffer, "NEXT_BUFFER");
        Add(ReadOnlyBuffer, "READONLY_BUFFER");
        return names;
    }
}
