namespace KmodBalance.Model; public static class Placeholder {}
