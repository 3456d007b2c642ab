// Package stock keeps item counts and refuses to go below zero.
package stock

import (
	"errors"
	"sort"
)

var ErrInsufficient = errors.New("insufficient stock")

type Stock struct{ counts map[string]int }

func New() *Stock { return &Stock{counts: map[string]int{}} }

func (s *Stock) Add(item string, n int) { s.counts[item] += n }

func (s *Stock) Remove(item string, n int) error {
	if s.counts[item] < n {
		return ErrInsufficient
	}
	s.counts[item] -= n
	return nil
}

func (s *Stock) Count(item string) int { return s.counts[item] }

// Low lists the items below threshold, by name.
func (s *Stock) Low(threshold int) []string {
	var low []string
	for item, n := range s.counts {
		if n < threshold {
			low = append(low, item)
		}
	}
	sort.Strings(low)
	return low
}
