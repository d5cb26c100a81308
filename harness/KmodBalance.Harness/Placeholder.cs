namespace KmodBalance.Harness; public static class Placeholder {}
