"""Factories for test data. Workflow states are reached through the real services
(``tests.support.flows``), never by setting ``state`` by hand."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from editorial.models import BoardMember
from editorial.roles import ensure_roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("test-pass-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            ensure_roles()  # a transactional test may have flushed the migration's groups
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in ("Reviewer", "Editor"):
                self.is_staff = True
                self.save(update_fields=["is_staff"])
                BoardMember.objects.create(
                    user=self,
                    display_name=f"Dr. {self.first_name} {self.last_name}",
                    credentials="MD",
                    specialty="Internal medicine",
                )


def make_user(role: str | None = None, **kwargs):
    """A fresh user with ``role`` (a group name), with a clean permission cache."""
    user = UserFactory(role=role, **kwargs)
    return get_user_model().objects.get(pk=user.pk)
