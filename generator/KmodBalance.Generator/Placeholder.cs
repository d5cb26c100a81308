namespace KmodBalance.Generator; public static class Placeholder {}
