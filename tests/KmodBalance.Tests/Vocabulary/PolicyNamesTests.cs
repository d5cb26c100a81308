using FluentAssertions;

namespace KmodBalance.Tests.Vocabulary;

public class PolicyNamesTests
{
    [Fact]
    public void Every_policy_parses_back_from_its_name()
    {
        foreach (var p in PolicyNames.All)
            PolicyNames.Parse(p.Name()).Should().Be(p);
        PolicyNames.NamesOf(PolicyNames.All).Should().Equal("stock", "hash", "dynamic", "adaptive");
        PolicyNames.Listed(PolicyNames.Patched).Should().Be("hash, dynamic or adaptive");
    }

    [Theory]
    [InlineData(" Dynamic ", Policy.Dynamic)]
    [InlineData("HASH", Policy.Hash)]
    public void Case_and_blanks_are_ignored(string name, Policy expected)
    {
        PolicyNames.TryParse(name, out var p).Should().BeTrue();
        p.Should().Be(expected);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("all")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_words_are_no_policy(string? name)
    {
        PolicyNames.TryParse(name, out _).Should().BeFalse();
        if (name is not null)
            FluentActions.Invoking(() => PolicyNames.Parse(name)).Should().Throw<ArgumentException>().WithMessage($"unknown policy '{name}'*");
    }

    [Fact]
    public void Patched_is_every_policy_but_stock() =>
        PolicyNames.Patched.Should().Equal(Policy.Hash, Policy.Dynamic, Policy.Adaptive);

    [Fact]
    public void A_policies_list_is_refused_when_empty_or_repeated()
    {
        PolicyNames.ListErrors([Policy.Stock, Policy.Dynamic, Policy.Adaptive]).Should().BeEmpty();
        PolicyNames.ListErrors([]).Should().ContainSingle().Which.Should().Contain("at least one of stock, hash, dynamic or adaptive");
        PolicyNames.ListErrors([Policy.Dynamic, Policy.Hash, Policy.Dynamic]).Should().Equal("--policies names 'dynamic' twice");
    }

    [Fact]
    public void A_policies_value_parses_in_its_order_and_names_each_unknown_name()
    {
        var (policies, errors) = PolicyNames.ParseList(" dynamic,fancy,,hash ,bogus");

        policies.Should().Equal(Policy.Dynamic, Policy.Hash);
        errors.Should().Equal("--policies: unknown policy 'fancy' (known: stock, hash, dynamic or adaptive)",
            "--policies: unknown policy 'bogus' (known: stock, hash, dynamic or adaptive)");
    }

    [Fact]
    public void Only_dynamic_and_adaptive_remap() =>
        PolicyNames.All.Where(p => p.Remaps()).Should().Equal(Policy.Dynamic, Policy.Adaptive);
}
