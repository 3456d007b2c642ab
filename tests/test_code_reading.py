"""Code signals: functions, stubs, real and hollow tests and secrets, read from file text.

Per language, four small files written the way candidates write them: a service that does
work, the same service stubbed out, a test file that asserts, and one that only pretends.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from tats_core.judging.code.reading import (
    CodeSignals,
    FileFinding,
    SourceFile,
    analyse_code,
    language_of,
    looks_like_test,
)


@dataclass(frozen=True)
class Case:
    language: str
    service_path: str
    service: str  # real code: `functions` functions, none a stub
    functions: int
    stubbed: str  # the same functions, every body a stub
    test_path: str
    tests: str  # `test_cases` tests, all asserting on real values
    test_cases: int
    hollow: str  # `test_cases` tests asserting nothing real


PYTHON = Case(
    "python",
    "shop/cart.py",
    '''
class Cart:
    """A shopping cart."""

    def __init__(self):
        self.items = []

    def add(self, sku: str, qty: int) -> None:
        # merge with an existing line
        self.items.append((sku, qty))

    async def total(self, prices) -> int:
        return sum(prices[s] * q for s, q in self.items)


def empty() -> "Cart":
    return Cart()
''',
    4,
    '''
class Cart:
    def __init__(self):
        pass

    def add(self, sku: str, qty: int) -> None:
        """Add a line."""
        # TODO: implement
        ...

    async def total(self, prices) -> int:
        raise NotImplementedError("total")


def empty() -> "Cart":
    # TODO
    return None
''',
    "tests/test_cart.py",
    """
from shop.cart import Cart

def make():
    return Cart()

def test_add():
    cart = make()
    cart.add("a", 2)
    assert cart.items == [("a", 2)]

class TestTotal:
    def test_total(self):
        self.assertEqual(Cart().total({}), 0)

    def test_raises(self):
        with pytest.raises(KeyError):
            make().total({"x": 1})
""",
    3,
    """
def test_add():
    assert True

class TestTotal:
    def test_total(self):
        cart = Cart()  # set up, then nothing
        self.assertTrue(True)

    def test_raises(self):
        pass
""",
)

JAVASCRIPT = Case(
    "javascript",
    "src/cart.js",
    """
// Cart service
function addItem(cart, sku, qty) {
  return { ...cart, items: [...cart.items, { sku, qty }] };
}
const total = (cart, prices) => cart.items.reduce((s, i) => s + prices[i.sku] * i.qty, 0);
class Cart {
  constructor() {}
  clear() { this.items = []; }
  handle = async (req) => { await save(req.body); };
}
items.forEach((i) => console.log(i));  // an anonymous callback is not a function
""",
    5,
    """
function addItem(cart, sku, qty) {
  // TODO
}
const total = (cart, prices) => { throw new Error("Not implemented"); };
class Cart {
  clear() { /* TODO: implement */ }
  handle = async (req) => {
    return null; // TODO
  };
}
""",
    "src/__tests__/cart.test.js",
    """
describe("cart", () => {
  beforeEach(() => { setup(); });
  it("adds an item", () => {
    expect(addItem(empty, "a", 1).items).toHaveLength(1);
  });
  test("totals", async function () {
    expect(total(cart, prices)).toBe(42);
  });
  it.only("calls the api", async () => {
    await request(app).get("/cart").expect(200);
  });
});
""",
    3,
    """
describe("cart", () => {
  it("adds an item", () => {
    expect(true).toBe(true);
  });
  test("totals", async function () {});
  it.only("calls the api", async () => {
    // TODO write this test
    const cart = addItem(empty, "a", 1);
  });
});
""",
)

TYPESCRIPT = Case(
    "typescript",
    "src/Cart.tsx",
    """
import React from "react";
type Props = { items: string[] };
export function Cart({ items }: Props): JSX.Element {
  return <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>;
}
export const useTotal = (prices: Record<string, number>): number => {
  return Object.values(prices).reduce((a, b) => a + b, 0);
};
abstract class Repo { abstract find(id: string): Promise<string>; }
export class CartService {
  constructor(private readonly repo: Repo) {}
  async load(id: string): Promise<string> { return this.repo.find(id); }
}
""",
    4,
    """
export function Cart(): JSX.Element {
  throw new Error("TODO: implement");
}
export const useTotal = (prices: Record<string, number>): number => {
  // TODO
  return 0;
};
export class CartService {
  async load(id: string): Promise<string> {}
}
""",
    "src/Cart.spec.tsx",
    """
import { render, screen } from "@testing-library/react";
describe("Cart", () => {
  it("renders items", () => {
    render(<Cart items={["a"]} />);
    expect(screen.getByText("a")).toBeInTheDocument();
  });
  it("totals", () => {
    expect(useTotal({ a: 1, b: 2 })).toEqual(3);
  });
});
""",
    2,
    """
describe("Cart", () => {
  it("renders items", () => {
    render(<Cart items={["a"]} />);
    expect(true).toBe(true);
  });
  it("totals", () => {
    expect(1).toEqual(1);
  });
});
""",
)

JAVA = Case(
    "java",
    "src/main/java/shop/CartService.java",
    """
package shop;

public class CartService {
    private final CartRepository repo;

    public CartService(CartRepository repo) { this.repo = repo; }

    public Cart add(String id, String sku, int qty) {
        Cart cart = repo.find(id).orElseThrow();
        cart.add(sku, qty);  // TODO: validate qty
        return repo.save(cart);
    }

    /** Sum of the lines. */
    public int total(Cart cart) {
        return cart.lines().stream().mapToInt(Line::amount).sum();
    }
}
interface CartRepository { Cart save(Cart c); }
""",
    2,
    """
package shop;

public class CartService {
    public Cart add(String id, String sku, int qty) {
        // TODO
        return null;
    }

    public int total(Cart cart) {
        throw new UnsupportedOperationException("Not implemented yet");
    }
}
""",
    "src/test/java/shop/CartServiceTest.java",
    """
class CartServiceTest {
    private CartService service;

    @BeforeEach
    void setUp() { service = new CartService(new InMemoryRepo()); }

    @Test
    void addsALine() {
        Cart cart = service.add("1", "a", 2);
        assertEquals(1, cart.lines().size());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void totals(int qty) {
        assertThat(service.total(cart(qty))).isEqualTo(qty * 10);
    }

    @Test
    void controller() throws Exception {
        mockMvc.perform(get("/cart/1")).andExpect(status().isOk());
    }
}
""",
    3,
    """
class CartServiceTest {
    @Test
    void addsALine() {
        assertTrue(true);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void totals(int qty) {
        // TODO
    }

    @Test
    void controller() {
        assertEquals(1, 1);
    }
}
""",
)

KOTLIN = Case(
    "kotlin",
    "src/main/kotlin/shop/CartService.kt",
    """
package shop

class CartService(private val repo: CartRepository) {
    fun add(id: String, sku: String, qty: Int): Cart {
        val cart = repo.find(id) ?: error("no cart")
        return repo.save(cart.plus(sku, qty))
    }

    fun total(cart: Cart): Int = cart.lines.sumOf { it.amount }
}

interface CartRepository { fun find(id: String): Cart? }
""",
    2,
    """
package shop

class CartService(private val repo: CartRepository) {
    fun add(id: String, sku: String, qty: Int): Cart {
        TODO("not implemented")
    }

    fun total(cart: Cart): Int = TODO()
}
""",
    "src/test/kotlin/shop/CartServiceTest.kt",
    """
class CartServiceTest {
    @Test
    fun `adds a line`() {
        val cart = service.add("1", "a", 2)
        assertEquals(1, cart.lines.size)
    }

    @Test
    fun totals() {
        service.total(cart) shouldBe 20
    }
}
""",
    2,
    """
class CartServiceTest {
    @Test
    fun `adds a line`() {
        assertTrue(true)
    }

    @Test
    fun totals() {
    }
}
""",
)

GO = Case(
    "go",
    "internal/cart/service.go",
    """
package cart

// Service keeps carts.
type Service struct{ store Store }

func New(store Store) *Service { return &Service{store: store} }

func (s *Service) Add(id, sku string, qty int) (*Cart, error) {
	c, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	c.Lines = append(c.Lines, Line{sku, qty})
	return c, s.store.Put(c)
}
""",
    2,
    """
package cart

func New(store Store) *Service {
	panic("not implemented")
}

func (s *Service) Add(id, sku string, qty int) (*Cart, error) {
	// TODO: implement
	return nil, nil
}
""",
    "internal/cart/service_test.go",
    """
package cart

import "testing"

func helper(t *testing.T) *Service { return New(memStore{}) }

func TestAdd(t *testing.T) {
	c, err := helper(t).Add("1", "a", 2)
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	if len(c.Lines) != 1 {
		t.Errorf("want 1 line, got %d", len(c.Lines))
	}
}

func TestTotal(t *testing.T) {
	require.Equal(t, 20, Total(cart))
}
""",
    2,
    """
package cart

import "testing"

func TestAdd(t *testing.T) {
	t.Skip("later")
}

func TestTotal(t *testing.T) {
	assert.True(t, true)
}
""",
)

CSHARP = Case(
    "csharp",
    "src/Shop/CartService.cs",
    """
namespace Shop;

public class CartService : ICartService
{
    private readonly IRepo _repo;
    public CartService(IRepo repo) { _repo = repo; }

    public async Task<Cart> AddAsync(string id, string sku, int qty)
    {
        var cart = await _repo.FindAsync(id);
        cart.Lines.Add(new Line(sku, qty));
        return await _repo.SaveAsync(cart);
    }

    public int Total(Cart cart) => cart.Lines.Sum(l => l.Amount);
}
public interface ICartService { int Total(Cart cart); }
""",
    2,
    """
namespace Shop;

public class CartService : ICartService
{
    public async Task<Cart> AddAsync(string id, string sku, int qty)
    {
        throw new NotImplementedException();
    }

    public int Total(Cart cart) => throw new NotImplementedException();
}
""",
    "tests/Shop.Tests/CartServiceTests.cs",
    """
public class CartServiceTests
{
    [Fact]
    public async Task AddsALine()
    {
        var cart = await _service.AddAsync("1", "a", 2);
        Assert.Single(cart.Lines);
    }

    [Theory]
    [InlineData(2)]
    public void Totals(int qty)
    {
        _service.Total(Make(qty)).Should().Be(qty * 10);
    }

    private Cart Make(int qty) => new Cart(qty);
}
""",
    2,
    """
public class CartServiceTests
{
    [Fact]
    public async Task AddsALine()
    {
        Assert.True(true);
    }

    [Theory]
    [InlineData(2)]
    public void Totals(int qty)
    {
    }
}
""",
)

RUBY = Case(
    "ruby",
    "app/services/cart_service.rb",
    """
# Keeps carts.
class CartService
  def initialize(repo)
    @repo = repo
  end

  def add(id, sku, qty)
    cart = @repo.find(id)
    cart.lines << Line.new(sku, qty)
    @repo.save(cart)
  end

  def self.total(cart) = cart.lines.sum(&:amount)
end
""",
    3,
    """
class CartService
  def initialize(repo)
    # TODO
  end

  def add(id, sku, qty)
    raise NotImplementedError
  end

  def self.total(cart)
  end
end
""",
    "spec/services/cart_service_spec.rb",
    """
require "rails_helper"

RSpec.describe CartService do
  let(:service) { described_class.new(repo) }

  it "adds a line" do
    cart = service.add(1, "a", 2)
    expect(cart.lines.size).to eq(1)
  end

  it "totals" do
    expect(CartService.total(cart)).to eq 20
  end
end

class CartTest < Minitest::Test
  def test_empty
    assert_equal 0, Cart.new.lines.size
  end
end
""",
    3,
    """
RSpec.describe CartService do
  it "adds a line" do
    expect(true).to be true
  end

  it "totals" do
  end
end

class CartTest < Minitest::Test
  def test_empty
    assert true
  end
end
""",
)

PHP = Case(
    "php",
    "src/Service/CartService.php",
    """<?php
namespace App\\Service;

final class CartService
{
    public function __construct(private CartRepository $repo) {}

    public function add(string $id, string $sku, int $qty): Cart
    {
        $cart = $this->repo->find($id);
        $cart->add($sku, $qty);
        return $this->repo->save($cart);
    }

    public function total(Cart $cart): int
    {
        return array_sum(array_map(fn ($l) => $l->amount, $cart->lines()));
    }
}

function helper(array $xs): int { return count($xs); }
""",
    4,
    """<?php
final class CartService
{
    public function add(string $id, string $sku, int $qty): Cart
    {
        // TODO: implement
    }

    public function total(Cart $cart): int
    {
        throw new \\RuntimeException('Not implemented');
    }
}

function helper(array $xs): int { throw new \\BadMethodCallException("not implemented"); }
""",
    "tests/Unit/CartServiceTest.php",
    """<?php
final class CartServiceTest extends TestCase
{
    protected function setUp(): void { $this->service = new CartService(new InMemoryRepo()); }

    public function testAddsALine(): void
    {
        $cart = $this->service->add('1', 'a', 2);
        $this->assertCount(1, $cart->lines());
    }

    /** @test */
    public function it_totals(): void
    {
        self::assertSame(20, $this->service->total($this->cart));
    }

    #[Test]
    public function rejects_bad_qty(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->service->add('1', 'a', -1);
    }
}

it('adds via pest', function () {
    expect(cart()->lines())->toHaveCount(1);
});
""",
    4,
    """<?php
final class CartServiceTest extends TestCase
{
    public function testAddsALine(): void
    {
        $this->assertTrue(true);
    }

    /** @test */
    public function it_totals(): void
    {
    }

    #[Test]
    public function rejects_bad_qty(): void
    {
        // TODO
    }
}

it('adds via pest', function () {
    expect(true)->toBeTrue();
});
""",
)

SCALA = Case(
    "scala",
    "src/main/scala/shop/CartService.scala",
    """
package shop

class CartService(repo: CartRepository) {
  def add(id: String, sku: String, qty: Int): Cart = {
    val cart = repo.find(id)
    repo.save(cart.add(sku, qty))
  }

  def total(cart: Cart): Int = cart.lines.map(_.amount).sum
}

trait CartRepository { def find(id: String): Cart }
""",
    2,
    """
package shop

class CartService(repo: CartRepository) {
  def add(id: String, sku: String, qty: Int): Cart = ???

  def total(cart: Cart): Int = {
    // TODO
    throw new NotImplementedError()
  }
}
""",
    "src/test/scala/shop/CartServiceSpec.scala",
    """
class CartServiceSpec extends AnyFlatSpec with Matchers {
  "CartService" should "add a line" in {
    service.add("1", "a", 2).lines should have size 1
  }

  it should "total" in {
    service.total(cart) shouldBe 20
  }
}

class CartSuite extends AnyFunSuite {
  test("empty") {
    assert(Cart.empty.lines.isEmpty)
  }
}
""",
    3,
    """
class CartServiceSpec extends AnyFlatSpec with Matchers {
  "CartService" should "add a line" in {
    true shouldBe true
  }

  it should "total" in {
  }
}

class CartSuite extends AnyFunSuite {
  test("empty") {
    assert(true)
  }
}
""",
)

CASES = [PYTHON, JAVASCRIPT, TYPESCRIPT, JAVA, KOTLIN, GO, CSHARP, RUBY, PHP, SCALA]
BY_LANGUAGE = pytest.mark.parametrize("case", CASES, ids=[c.language for c in CASES])


def one(path: str, text: str, is_test: bool | None = None) -> CodeSignals:
    test = looks_like_test(path) if is_test is None else is_test
    return analyse_code([SourceFile(path, text, test)])


@BY_LANGUAGE
def test_a_real_service_has_functions_and_no_stubs(case: Case):
    signals = one(case.service_path, case.service, is_test=False)
    assert signals.functions == case.functions
    assert signals.stub_functions == 0, signals.findings
    assert signals.languages == {case.language: 1}
    assert signals.treatment[case.language] == (
        "ast" if case.language == "python" else "tree-sitter"
    )
    assert signals.code_lines > case.functions
    assert signals.test_cases == 0


@BY_LANGUAGE
def test_a_stubbed_service_is_all_stubs_and_each_is_cited(case: Case):
    signals = one(case.service_path, case.stubbed, is_test=False)
    assert signals.functions > 0
    assert signals.stub_functions == signals.functions, signals.findings
    stubs = [f for f in signals.findings if f.kind == "stub"]
    assert len(stubs) == signals.functions
    lines = case.stubbed.splitlines()
    for finding in stubs:
        assert finding.path == case.service_path
        name = finding.detail.split(":")[0].strip("`")
        assert name in lines[finding.line - 1], (finding, lines[finding.line - 1])


@BY_LANGUAGE
def test_real_tests_are_counted_as_real(case: Case):
    assert looks_like_test(case.test_path)
    signals = one(case.test_path, case.tests)
    assert signals.test_cases == case.test_cases
    assert signals.real_test_cases == case.test_cases, signals.findings
    assert signals.functions == 0  # test code is not counted as the solution's code
    assert signals.code_lines == 0


@BY_LANGUAGE
def test_tests_that_assert_nothing_are_hollow(case: Case):
    signals = one(case.test_path, case.hollow)
    assert signals.test_cases == case.test_cases
    assert signals.real_test_cases == 0, signals
    hollow = [f for f in signals.findings if f.kind == "hollow_test"]
    assert len(hollow) == case.test_cases
    assert all(f.path == case.test_path and f.line > 0 for f in hollow)


@BY_LANGUAGE
def test_a_service_file_is_not_a_test_file(case: Case):
    assert not looks_like_test(case.service_path)
    assert language_of(case.service_path) == case.language


# --- secrets -------------------------------------------------------------------------------

AWS_ID = "AKIA" + "Q3EGRXYZ7NLMW2P4"  # split so this file holds no key-shaped literal
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----"

SECRETS = {
    "python": ("app/settings.py", f'DEBUG = True\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\n', 2),
    "javascript": ("src/config.js", f'const x = 1;\nconst token = "{GITHUB}";\n', 2),
    "typescript": ("src/pay.ts", f"\n\nexport const stripe = new Stripe('{STRIPE}');\n", 3),
    "java": (
        "src/main/java/Db.java",
        'class Db {\n  private static final String DB_PASSWORD = "S3cr3t!pass";\n}\n',
        2,
    ),
    "kotlin": ("src/main/kotlin/Slack.kt", f'val hook = "{SLACK}"\n', 1),
    "go": ("cmd/api/main.go", 'package main\n\nconst apiKey = "f3b9c2d17e6a4b8c9d0e1f2a"\n', 3),
    "csharp": ("src/Jwt.cs", 'class Jwt {\n  string clientSecret = "Zq8#mW2!rT5$";\n}\n', 2),
    "ruby": ("config/initializers/keys.rb", f"PEM = <<~KEY\n{PEM}\nMIIE\nKEY\n", 2),
    "php": (
        "config/services.php",
        "<?php\nreturn [\n  'api_key' => 'pk_9f8e7d6c5b4a3F2E',\n];\n",
        3,
    ),
    "scala": (
        "src/main/scala/Conf.scala",
        'object Conf {\n  val password = "Hunter2Hunter2"\n}\n',
        2,
    ),
}

PLACEHOLDERS = """
password = "changeme"
api_key = os.environ["API_KEY"]
DB_PASSWORD = "${DB_PASSWORD}"
const apiKey = process.env.API_KEY || "<your-api-key>";
secret: "xxxxxxxxxxxx"
$password = getenv('DB_PASSWORD');
TOKEN_KEY = "auth_token"
localStorage.setItem("access_token", token)
password: "required|string|min:8"
passwordLabel = "Password123"
errors = { password: "Password must be at least 8 characters" }
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
val password: String = config.getString("db.password")
private_key = "key.pem"
jwt_secret = "your-jwt-secret-here"
token = "dummy-token-1234"
"""


@pytest.mark.parametrize("language", sorted(SECRETS))
def test_a_hard_coded_secret_is_found_at_its_line(language: str):
    path, text, line = SECRETS[language]
    signals = one(path, text, is_test=False)
    assert [(s.path, s.line, s.kind) for s in signals.secrets] == [(path, line, "secret")]
    assert signals.secrets[0].detail and "…" in signals.secrets[0].detail
    for secret in (AWS_ID, GITHUB, STRIPE, SLACK, "S3cr3t!pass", "Zq8#mW2!rT5$", "Hunter2Hunter2"):
        assert secret not in signals.secrets[0].detail  # cited, never repeated


@pytest.mark.parametrize("path", ["app/settings.py", "src/config.ts", ".env", "config/app.yml"])
def test_placeholders_and_environment_lookups_are_not_secrets(path: str):
    assert one(path, PLACEHOLDERS, is_test=False).secrets == []


def test_dotenv_values_are_read_but_example_files_hold_fakes():
    env = "DEBUG=true\nJWT_SECRET=9f8e7d6c5b4a3F2E1d0c\nDB_PASSWORD=changeme\n"
    assert [s.line for s in one(".env", env, is_test=False).secrets] == [2]
    assert one(".env.example", env, is_test=False).secrets == []


def test_fake_passwords_in_tests_are_fixtures_but_tokens_in_tests_still_leak():
    text = f'password = "Sup3rS3cret!"\nkey = "{AWS_ID}"\n'
    assert [s.line for s in one("tests/test_login.py", text, is_test=True).secrets] == [2]
    assert [s.line for s in one("app/login.py", text, is_test=False).secrets] == [1, 2]


# --- robustness, totals, storage -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.language for c in CASES])
def test_bad_input_never_raises(case: Case):
    junk = [
        SourceFile(case.service_path, case.service[: len(case.service) // 2] + "{{{ ((( ", False),
        SourceFile(case.service_path, "\x00\x01\x02binary" * 100, False),
        SourceFile(case.service_path, "", False),
        SourceFile(case.test_path, "}}}}" + "(" * 5000, True),
        SourceFile(case.service_path, "\ud800 lone surrogate", False),
    ]
    signals = analyse_code(junk)
    assert signals.files_read == len(junk)


def test_python_with_a_syntax_error_falls_back_to_indentation_and_says_so():
    text = 'print "python 2"\n\ndef add(a, b):\n    return a + b\n\ndef todo():\n    pass\n'
    signals = one("legacy/calc.py", text, is_test=False)
    assert (signals.functions, signals.stub_functions) == (2, 1)
    assert signals.treatment == {"python": "regex"}
    mixed = analyse_code([SourceFile("a.py", text, False), SourceFile("b.py", "x = 1\n", False)])
    assert mixed.treatment == {"python": "ast+regex"}


def test_totals_add_up_over_files_and_findings_cite_each_file():
    files = [SourceFile(c.service_path, c.stubbed, False) for c in CASES] + [
        SourceFile(c.test_path, c.tests, True) for c in CASES
    ]
    signals = analyse_code(files)
    assert signals.files_read == 2 * len(CASES)
    assert signals.stub_functions == signals.functions
    assert signals.test_cases == signals.real_test_cases == sum(c.test_cases for c in CASES)
    assert {f.path for f in signals.findings} == {c.service_path for c in CASES}
    assert sum(signals.languages.values()) == 2 * len(CASES)
    assert signals.treatment.keys() == signals.languages.keys()


def test_unknown_files_are_read_for_secrets_only():
    signals = analyse_code([SourceFile("README.md", f"key {AWS_ID}\n", False)])
    assert (signals.files_read, signals.languages, signals.functions) == (1, {}, 0)
    assert [s.path for s in signals.secrets] == ["README.md"]


def test_json_round_trip():
    files = [SourceFile(JAVA.service_path, JAVA.stubbed, False)]
    files += [SourceFile("src/pay.ts", SECRETS["typescript"][1], False)]
    signals = analyse_code(files)
    assert signals.findings and signals.secrets
    assert CodeSignals.from_json(signals.to_json()) == signals
    assert isinstance(signals.to_json()["findings"][0], dict)
    assert FileFinding(**signals.to_json()["secrets"][0]) == signals.secrets[0]


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_api.py", True),
        ("app/api_test.py", True),
        ("conftest.py", True),
        ("src/app.test.tsx", True),
        ("src/app.spec.ts", True),
        ("src/__tests__/App.js", True),
        ("src/test/java/a/FooTest.java", True),
        ("pkg/store/store_test.go", True),
        ("Api.Tests/ControllerTests.cs", True),
        ("spec/models/user_spec.rb", True),
        ("test/models/user_test.rb", True),
        ("src/test/scala/FooSpec.scala", True),
        ("src/api.py", False),
        ("src/latest.ts", False),
        ("src/contest/Main.java", False),
        ("app/services/attestation.rb", False),
    ],
)
def test_test_paths(path: str, is_test: bool):
    assert looks_like_test(path) is is_test


HEADER = re.compile(r"^\s*(?:package|namespace|import|require|<\?php)\b.*$", re.M)


def big(text: str, size: int = 100_000) -> str:
    """A valid file of about `size` bytes: the snippet's header once, then its body repeated."""
    header = "\n".join(m.group(0) for m in HEADER.finditer(text))
    body = HEADER.sub("", text)
    return header + "\n" + body * (size // len(body))


def test_a_large_sample_is_analysed_whole():
    # How long it takes is measured by bench/code_signals.py, not asserted here.
    sizes = [100_000, 50_000] + [5_000] * 8
    files = []
    for i, size in enumerate(sizes):
        case = CASES[i % len(CASES)]
        if i % 2:
            files.append(SourceFile(case.test_path, big(case.tests, size), True))
        else:
            files.append(SourceFile(case.service_path, big(case.service, size), False))
    signals = analyse_code(files)
    assert signals.files_read == len(files)
    assert signals.functions > 100 and signals.test_cases > 100


# --- framework idioms seen in real take-homes ------------------------------------------------

GINKGO = """package client_test

func TestClientSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "client suite")
}

var _ = Describe("Client", func() {
	BeforeEach(func() { server = ghttp.NewServer() })
	It("gets an account", func() {
		Expect(client.Get(id)).To(Equal(account))
	})
	It(fmt.Sprintf("fails for %s", name), func() {})
})
"""
PLAYWRIGHT = """
test.describe('errors', () => {
  test.beforeEach(async ({ page }) => { await page.goto('/'); });
  test('shows the banner', async ({ page }) => {
    await test.step('submit', async () => { await page.click('button'); });
    await expect(page.getByTestId('error')).toBeVisible();
  });
  test.skip('later', async () => {});
});
"""
FEATURE_SPEC = """
class ProcessorSpec extends AnyFeatureSpec with GivenWhenThen {
  Feature("points") {
    Scenario("counts points") {
      Given("a receipt")
      assert(processor.points(receipt) == 28)
    }
  }
}
"""
CAPYBARA = """
class RecipesTest < ActionDispatch::SystemTestCase
  test "searching by ingredient" do
    visit root_url
    fill_in "search", with: "egg"
    assert_text "Egg Dish"
  end
end
"""
PYTEST_FIXTURES = """
import pytest

@pytest.fixture
def test_db():
    return make_db()

def test_reads(test_db):
    assert test_db.read(1) == "one"
"""


@pytest.mark.parametrize(
    ("path", "text", "tests", "real"),
    [
        ("client/client_test.go", GINKGO, 2, 1),  # the RunSpecs runner is not a test
        ("e2e/errors.spec.ts", PLAYWRIGHT, 2, 1),  # describe, beforeEach and step are not tests
        ("src/test/scala/ProcessorSpec.scala", FEATURE_SPEC, 1, 1),
        ("test/system/recipes_test.rb", CAPYBARA, 1, 1),  # assert_text "…" checks the page
        ("tests/test_db.py", PYTEST_FIXTURES, 1, 1),  # a fixture named test_db is no test
    ],
)
def test_framework_idioms(path: str, text: str, tests: int, real: int):
    signals = one(path, text)
    assert (signals.test_cases, signals.real_test_cases) == (tests, real), signals.findings


PYTHON_DECLARATIONS = """
from abc import ABC, abstractmethod
from typing import Protocol, overload

class Store(Protocol):
    def get(self, key: str) -> str: ...

class Base(ABC):
    @abstractmethod
    def run(self) -> None:
        raise NotImplementedError

class Jira(HttpClient):
    @get("/rest/api/3/project")
    async def projects(self) -> list[Project]:
        \"\"\"Declared here, implemented by the decorator.\"\"\"
        ...

def real(x: int) -> int:
    return x + 1

def todo(x: int) -> int:
    ...
"""


def test_python_declarations_are_not_functions_but_an_undecorated_ellipsis_is_a_stub():
    signals = one("app/clients.py", PYTHON_DECLARATIONS, is_test=False)
    assert (signals.functions, signals.stub_functions) == (2, 1)
    assert [f.detail.split(":")[0] for f in signals.findings] == ["todo"]


def test_an_empty_rails_action_renders_its_view_and_is_no_stub():
    text = "class PagesController < ApplicationController\n  def index\n  end\nend\n"
    assert one("app/controllers/pages_controller.rb", text, is_test=False).stub_functions == 0
    assert one("app/services/pages.rb", text, is_test=False).stub_functions == 1


def test_jest_mocks_are_test_support():
    assert looks_like_test("client/config/styleMock.js")
    assert looks_like_test("src/__mocks__/axios.ts")


@pytest.mark.parametrize("case", CASES, ids=[c.language for c in CASES])
def test_pathological_input_is_cut_short_not_hung_on(case: Case):
    # Error recovery on `[[[[…` takes tree-sitter ~30 s for Scala, and queries go quadratic
    # on a wide error node; a run of tiny statements costs an ast walk seconds.
    for junk in ("[" * 100_000, "f(" * 50_000, "x\n" * 500_000):
        started = time.process_time()
        signals = one(case.service_path, junk, is_test=False)
        assert time.process_time() - started < 2.0, (case.language, junk[:4])
        assert signals.files_read == 1
