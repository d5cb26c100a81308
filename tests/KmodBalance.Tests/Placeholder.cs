namespace KmodBalance.Tests; public class Placeholder {}
