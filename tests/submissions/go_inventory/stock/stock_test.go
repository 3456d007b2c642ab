package stock

import (
	"reflect"
	"testing"
)

func TestAddAndRemove(t *testing.T) {
	s := New()
	s.Add("apple", 5)
	if err := s.Remove("apple", 3); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if got := s.Count("apple"); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
}

func TestRemoveRefusesToGoNegative(t *testing.T) {
	s := New()
	s.Add("pear", 1)
	if err := s.Remove("pear", 2); err != ErrInsufficient {
		t.Errorf("err = %v, want ErrInsufficient", err)
	}
	if got := s.Count("pear"); got != 1 {
		t.Errorf("count = %d, want 1", got)
	}
}

func TestLowIsSorted(t *testing.T) {
	s := New()
	for _, item := range []string{"kiwi", "fig", "date"} {
		s.Add(item, 1)
	}
	s.Add("plum", 10)
	want := []string{"date", "fig", "kiwi"}
	if got := s.Low(5); !reflect.DeepEqual(got, want) {
		t.Errorf("Low(5) = %v, want %v", got, want)
	}
}
